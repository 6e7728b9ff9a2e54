package all_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/afterglowhq/afterglow/connectors"
	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/message"
)

var builtins = []string{"console", "fcm", "smtp", "twilio", "webhook", "whatsapp_cloud"}

func TestEveryBuiltinRegisters(t *testing.T) {
	if got := connectors.Names(); !reflect.DeepEqual(got, builtins) {
		t.Fatalf("registered %v, want %v", got, builtins)
	}
	for _, sh := range message.Shapes {
		carried := false
		for _, s := range connectors.All() {
			carried = carried || s.Carries(sh)
		}
		if !carried {
			t.Errorf("no connector carries %s", sh)
		}
	}
	if console, _ := connectors.Lookup("console"); !slices.Equal(console.Shapes, message.Shapes) {
		t.Errorf("console carries %v, want every shape", console.Shapes)
	}
	for _, s := range connectors.All() {
		if s.Summary == "" {
			t.Errorf("%s has no summary", s.Name)
		}
	}
}

func compile(t *testing.T, s connectors.Spec) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	url := "connector-" + s.Name + ".schema.json"
	if err := c.AddResource(url, bytes.NewReader(s.Schema)); err != nil {
		t.Fatalf("%s: schema is not JSON: %v", s.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: schema does not compile as draft 2020-12: %v", s.Name, err)
	}
	return sch
}

func decode(t *testing.T, raw []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchemasCompileAndDescribeEverySetting(t *testing.T) {
	for _, s := range connectors.All() {
		t.Run(s.Name, func(t *testing.T) {
			sch := compile(t, s)
			root, _ := decode(t, s.Schema).(map[string]any)
			if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %v", root["$schema"])
			}
			if root["type"] != "object" || root["additionalProperties"] != false {
				t.Errorf("want type object with additionalProperties false, got type %v, additionalProperties %v", root["type"], root["additionalProperties"])
			}
			if d, _ := root["description"].(string); d == "" {
				t.Error("the schema has no description")
			}
			for _, missing := range undescribed(root, "") {
				t.Errorf("property %s has no description", missing)
			}

			examples, _ := root["examples"].([]any)
			if len(examples) == 0 {
				t.Error("the schema has no examples of a whole `with`")
			}
			for i, ex := range examples {
				if err := sch.Validate(ex); err != nil {
					t.Errorf("example %d does not validate: %v", i+1, err)
				}
			}
			bad := map[string]any{"no_such_setting": "x"}
			if ex, ok := examples[0].(map[string]any); ok {
				for k, v := range ex {
					bad[k] = v
				}
			}
			if err := sch.Validate(bad); err == nil {
				t.Error("the schema accepts an unknown setting")
			}
		})
	}
}

// undescribed lists every property, at any depth, without a description.
func undescribed(schema map[string]any, path string) []string {
	var out []string
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		ps, _ := p.(map[string]any)
		if d, _ := ps["description"].(string); strings.TrimSpace(d) == "" {
			out = append(out, path+name)
		}
		out = append(out, undescribed(ps, path+name+".")...)
	}
	sort.Strings(out)
	return out
}

// TestSchemaMatchesWhatTheConstructorReads keeps each schema and its Go code in step: the
// properties the schema lists are exactly the settings the constructor reads.
func TestSchemaMatchesWhatTheConstructorReads(t *testing.T) {
	for _, s := range connectors.All() {
		t.Run(s.Name, func(t *testing.T) {
			_, err := s.New(map[string]any{"no_such_setting": 1}, connectors.Options{})
			var u *settings.UnknownError
			if !errors.As(err, &u) {
				t.Fatalf("an unknown setting is not reported: %v", err)
			}
			root, _ := decode(t, s.Schema).(map[string]any)
			props, _ := root["properties"].(map[string]any)
			var want []string
			for k := range props {
				want = append(want, k)
			}
			sort.Strings(want)
			if !slices.Equal(u.Known, want) {
				t.Errorf("constructor reads %v, schema lists %v", u.Known, want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%s: unknown setting \"no_such_setting\"", s.Name)) {
				t.Errorf("error does not name the connector and the setting: %v", err)
			}
		})
	}
}
