// Package schemas holds the public JSON Schemas (draft 2020-12) of the files a workspace is made
// of: flows, templates, the settings file afterglow.yaml, scenario tests and the product catalog. They are embedded in
// the binary, so `validate` checks files against exactly the schemas editors use.
//
// The schemas check the form of a file: keys, types, patterns, which keys go together. What needs
// more than one file or a parser (expressions, Liquid, cron fields, time zones, template and channel
// names, unique step ids) is checked by the Go code in dsl/.
//
// Each schema is self-contained: definitions used by several files (durations, policies, message
// content) are repeated in each, so an editor resolves a schema without fetching any other. The
// tests keep the copies identical.
package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed *.json
var files embed.FS

// The schemas' file names.
const (
	Flow     = "flow.schema.json"     // a flow file
	Template = "template.schema.json" // a template file
	Config   = "config.schema.json"   // the settings file, afterglow.yaml
	Test     = "test.schema.json"     // a scenario test, *.test.yaml
	Catalog  = "catalog.schema.json"  // the product catalog named by catalog: in the settings
)

// The patterns the schemas use, by what they check. A checker that explains a failed pattern in
// words can key its explanations on these; the tests keep the list complete and in use.
const (
	IDPattern        = `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`         // flow, step, template and variant names: thank-you-nps
	EventTypePattern = `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$` // order.placed
	ChannelPattern   = `^[a-z][a-z0-9_-]*$`                    // channel names: email, crm
	NamePattern      = `^[A-Za-z_][A-Za-z0-9_]*$`              // data and attribute names: survey_url
	DurationPattern  = `^[0-9]+[smhdw]$`                       // 3d, 90m, 2w
	OffsetPattern    = `^[-+]?[0-9]+[smhdw]$`                  // -3d, 2h
	CompoundPattern  = `^([0-9]+[smhdw])+$`                    // scenario tests: 2d12h
	TimeOfDayPattern = `^([01][0-9]|2[0-3]):[0-5][0-9]$`       // 10:00
	TimeZonePattern  = `^(UTC|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)+)$`
	DateTimePattern  = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`
	CronPattern      = `^\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*,/?-]+(\s+[0-9A-Za-z*,/?-]+){4})\s*$`
	PercentPattern   = `^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)%$` // holdout: 10%, 2.5%
	LocalePattern    = `^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$`           // es, es-PE, es-419
	PhonePattern     = `^\+[1-9][0-9]{6,14}$`                          // E.164: +51987654321
	ListenPattern    = `^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):[0-9]{1,5}$`
	URLPattern       = `^https?://[^\s/?#]+(/[^\s?#]*)?$`
	EnvPattern       = `\$\{[A-Za-z_][A-Za-z0-9_]*\}` // a ${VAR} anywhere in a settings value
	CurrencyPattern  = `^[A-Z]{3}$`                   // ISO 4217: PEN, EUR
)

// Patterns lists every pattern the schemas use.
var Patterns = []string{
	IDPattern, EventTypePattern, ChannelPattern, NamePattern, DurationPattern, OffsetPattern,
	CompoundPattern, TimeOfDayPattern, TimeZonePattern, DateTimePattern, CronPattern, PercentPattern,
	LocalePattern, PhonePattern, ListenPattern, URLPattern, EnvPattern, CurrencyPattern,
}

// BaseURL is the prefix of every schema's $id; a schema's $id is BaseURL followed by its file name.
const BaseURL = "https://afterglow.dev/schemas/"

// ID returns the $id of the named schema.
func ID(name string) string { return BaseURL + name }

// Names returns the file names of the embedded schemas, sorted.
func Names() []string {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // the embedded directory is always readable
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Bytes returns a copy of the named schema's JSON, or nil when there is no such schema.
func Bytes(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil
	}
	return bytes.Clone(b)
}

// Compile compiles the named schema for validation. Values to validate must be what
// encoding/json produces: map[string]any, []any, string, float64 (or int), bool and nil.
// YAML timestamps must be turned back into their text first, since the schemas expect strings.
func Compile(name string) (*jsonschema.Schema, error) {
	b := Bytes(name)
	if b == nil {
		return nil, fmt.Errorf("schemas: no schema named %q", name)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(ID(name), bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("schemas: %s: %w", name, err)
	}
	return c.Compile(ID(name))
}
