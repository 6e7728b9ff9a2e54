// Package schemacheck validates a YAML document against a JSON Schema and reports each failure at
// the YAML node it concerns: an unknown or missing key at the key's own line, a bad value at the
// value, with the wording a marketer reading the diagnostic needs.
package schemacheck

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

// Checker holds one compiled schema.
type Checker struct {
	root    *jsonschema.Schema
	byLoc   map[string]*jsonschema.Schema
	formats map[string]Format
}

// Format tells about the values a `pattern` admits: the diagnostic code for a value that does not fit
// (the same code the parser of those values uses, so one mistake has one code wherever it is found),
// what such a value is called, and why a given value does not fit.
type Format struct {
	Code    string              // "" means invalid-value
	Noun    string              // like "a duration (3d, 90m, 2w)", for values that may take several forms
	Explain func(string) string // "" when it cannot say more than the noun
}

// Compile builds a checker for the schema with the given $id. resources maps further $ids to schema
// bytes that it references. formats maps a `pattern` to what its values are; without one, the
// schema's description is quoted.
func Compile(id string, resources map[string][]byte, formats map[string]Format) (*Checker, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.ExtractAnnotations = true
	for rid, b := range resources {
		if err := c.AddResource(rid, bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("schema %s: %w", rid, err)
		}
	}
	s, err := c.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", id, err)
	}
	ch := &Checker{root: s, byLoc: map[string]*jsonschema.Schema{}, formats: formats}
	ch.index(s, map[*jsonschema.Schema]bool{})
	return ch, nil
}

func (c *Checker) index(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) {
	if s == nil || seen[s] {
		return
	}
	seen[s] = true
	c.byLoc[s.Location] = s
	for _, sub := range subschemas(s) {
		c.index(sub, seen)
	}
}

func subschemas(s *jsonschema.Schema) []*jsonschema.Schema {
	var out []*jsonschema.Schema
	add := func(x ...*jsonschema.Schema) { out = append(out, x...) }
	add(s.Ref, s.DynamicRef, s.RecursiveRef, s.Not, s.If, s.Then, s.Else, s.PropertyNames, s.UnevaluatedProperties, s.Contains, s.UnevaluatedItems)
	add(s.AllOf...)
	add(s.AnyOf...)
	add(s.OneOf...)
	add(s.PrefixItems...)
	for _, p := range s.Properties {
		add(p)
	}
	for _, p := range s.PatternProperties {
		add(p)
	}
	for _, p := range s.DependentSchemas {
		add(p)
	}
	if a, ok := s.AdditionalProperties.(*jsonschema.Schema); ok {
		add(a)
	}
	switch it := s.Items.(type) {
	case *jsonschema.Schema:
		add(it)
	case []*jsonschema.Schema:
		add(it...)
	}
	if a, ok := s.AdditionalItems.(*jsonschema.Schema); ok {
		add(a)
	}
	if s.Items2020 != nil {
		add(s.Items2020)
	}
	var kept []*jsonschema.Schema
	for _, x := range out {
		if x != nil {
			kept = append(kept, x)
		}
	}
	return kept
}

// Check validates root and adds diagnostics to l. It returns false when there was any failure.
func (c *Checker) Check(file string, root *yaml.Node, l *diag.List) bool {
	err := c.root.Validate(yamlnode.Value(root))
	if err == nil {
		return true
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "schema", "%v", err)
		return false
	}
	r := reporter{c: c, file: file, ix: yamlnode.NewIndex(root), seen: map[string]bool{}, misspelt: map[string]bool{}}
	r.report(ve)
	for _, f := range r.found {
		// A missing key that is present under a near-miss name is one mistake, reported once.
		if f.missing != "" && r.misspelt[f.parent+"\x00"+f.missing] {
			continue
		}
		l.Add(f.d)
	}
	return false
}

type reporter struct {
	c        *Checker
	file     string
	ix       *yamlnode.Index
	seen     map[string]bool
	misspelt map[string]bool // parent location + NUL + the key an unknown key was close to
	found    []finding
}

type finding struct {
	d               diag.Diagnostic
	parent, missing string
}

func (r *reporter) at(n *yaml.Node, code, format string, args ...any) {
	r.add(n, "", "", code, fmt.Sprintf(format, args...))
}

func (r *reporter) add(n *yaml.Node, parent, missing, code, msg string) {
	p := diag.Pos{File: r.file, Line: 1, Col: 1}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	key := fmt.Sprintf("%d:%d:%s", p.Line, p.Col, msg)
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	r.found = append(r.found, finding{
		d:      diag.Diagnostic{File: r.file, Line: p.Line, Col: p.Col, Severity: diag.Error, Code: code, Message: msg},
		parent: parent, missing: missing,
	})
}

var quoted = regexp.MustCompile(`'([^']*)'`)

func (r *reporter) report(e *jsonschema.ValidationError) {
	kw := keyword(e.KeywordLocation)
	if strings.Contains(e.KeywordLocation, "/dependentRequired/") {
		kw = "dependentRequired"
	}
	switch {
	case kw == "oneOf" || kw == "anyOf":
		r.reportAlternatives(e)
		return
	case len(e.Causes) > 0:
		for _, c := range e.Causes {
			r.report(c)
		}
		return
	}
	inst := e.InstanceLocation
	switch kw {
	case "additionalProperties":
		for _, m := range quoted.FindAllStringSubmatch(e.Message, -1) {
			r.unknownKey(inst, m[1], strings.TrimSuffix(e.AbsoluteKeywordLocation, "/additionalProperties"))
		}
	case "unevaluatedProperties", "":
		if e.Message == "not allowed" || kw == "unevaluatedProperties" {
			parent, name := splitPointer(inst)
			r.unknownKey(parent, name, schemaOf(e.AbsoluteKeywordLocation))
			return
		}
		r.at(r.ix.Value(inst), "schema", "%s: %s", where(inst), e.Message)
	case "required":
		for _, m := range quoted.FindAllStringSubmatch(e.Message, -1) {
			r.add(r.ix.Key(inst), inst, m[1], "missing-key", fmt.Sprintf("%s needs `%s`", where(inst), m[1]))
		}
	case "dependentRequired":
		// "property 'if' is required, if 'then' property exists": the mistake is the key that is
		// there without its partner, so that is where it is reported.
		if m := quoted.FindAllStringSubmatch(e.Message, -1); len(m) == 2 {
			need, have := m[0][1], m[1][1]
			at := r.ix.Child(inst, have)
			if at == nil {
				at = r.ix.Key(inst)
			}
			r.add(at, inst, need, "missing-key", fmt.Sprintf("%s has `%s` but no `%s`, which it goes with: add `%s`, or remove `%s`", where(inst), have, need, need, have))
			return
		}
		r.at(r.ix.Key(inst), "missing-key", "%s: %s", where(inst), e.Message)
	case "type":
		msg := fmt.Sprintf("%s must be %s, not %s", where(inst), typeWords(e.Message, true), typeWords(e.Message, false))
		if ex := r.example(e); ex != "" {
			msg += ", like " + ex
		}
		r.at(r.ix.Value(inst), "wrong-type", "%s", msg)
	case "enum", "const":
		vals := strings.TrimPrefix(strings.TrimPrefix(e.Message, "value must be one of "), "value must be ")
		got := yamlnode.Scalar(r.ix.Value(inst))
		var opts []string
		for _, m := range enumValue.FindAllStringSubmatch(vals, -1) {
			opts = append(opts, m[1])
		}
		if len(opts) > 0 {
			r.at(r.ix.Value(inst), "invalid-value", "%s: %q is not one of: %s%s", where(inst), got, strings.Join(opts, ", "), diag.DidYouMean(got, opts))
		} else {
			r.at(r.ix.Value(inst), "invalid-value", "%s: must be %s", where(inst), vals)
		}
	case "pattern":
		got := yamlnode.Scalar(r.ix.Value(inst))
		at := r.ix.Value(inst)
		if strings.Contains(e.KeywordLocation, "/propertyNames/") {
			// The failing value is a key: report it, at the key.
			_, got = splitPointer(inst)
			at = r.ix.Key(inst)
		}
		f, s := r.format(e)
		msg := ""
		if f.Explain != nil {
			msg = f.Explain(got)
		}
		if msg == "" && f.Noun != "" {
			msg = fmt.Sprintf("%q is not %s", got, f.Noun)
		}
		if msg == "" {
			msg = fmt.Sprintf("%q is not in the expected form", got)
			if s != nil && s.Description != "" {
				msg += ": " + firstSentence(s.Description)
			}
		}
		r.at(at, cmp.Or(f.Code, "invalid-value"), "%s: %s", where(inst), msg)
	case "minItems":
		want, have := 0, 0
		fmt.Sscanf(e.Message, "minimum %d items required, but found %d items", &want, &have)
		r.at(r.ix.Key(inst), "invalid-value", "%s needs at least %d %s; it has %d", where(inst), want, plural(want, "entry", "entries"), have)
	default:
		r.at(r.ix.Value(inst), "invalid-value", "%s: %s", where(inst), e.Message)
	}
}

// reportAlternatives explains a failed oneOf/anyOf. Alternatives told apart by a required key
// (a step's kind, a trigger's form) become "needs exactly one of"; otherwise the alternative the
// document evidently meant (its discriminating key is present) reports its own failures.
func (r *reporter) reportAlternatives(e *jsonschema.ValidationError) {
	inst := e.InstanceLocation
	s := r.c.byLoc[schemaOf(e.AbsoluteKeywordLocation)]
	var alts []*jsonschema.Schema
	if s != nil {
		if keyword(e.KeywordLocation) == "oneOf" {
			alts = s.OneOf
		} else {
			alts = s.AnyOf
		}
	}
	keys := discriminators(alts)
	if strings.HasPrefix(e.Message, "valid against schemas") {
		var present []string
		for _, k := range keys {
			if r.ix.Child(inst, k) != nil {
				present = append(present, "`"+k+"`")
			}
		}
		if len(present) > 1 {
			r.at(r.ix.Key(inst), "one-of", "%s has %s; it takes exactly one of them", where(inst), strings.Join(present, " and "))
		} else {
			r.at(r.ix.Key(inst), "one-of", "%s matches more than one form; make it unambiguous", where(inst))
		}
		return
	}
	var meant []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if !failsOnlyRequiredAt(c, inst) {
			meant = append(meant, c)
		}
	}
	if len(meant) == 0 {
		if len(keys) > 0 {
			var ks []string
			for _, k := range keys {
				ks = append(ks, "`"+k+"`")
			}
			r.at(r.ix.Key(inst), "one-of", "%s needs exactly one of %s", where(inst), strings.Join(ks, ", "))
			return
		}
		r.at(r.ix.Key(inst), "one-of", "%s does not match any of its allowed forms", where(inst))
		return
	}
	if r.valueAlternatives(e, inst, s, meant) {
		return
	}
	// Prefer the alternatives that got deepest into the document: they are the ones meant.
	best := 0
	for _, m := range meant {
		best = max(best, depth(m))
	}
	for _, m := range meant {
		if depth(m) == best {
			r.report(m)
		}
	}
}

// valueAlternatives reports, as one diagnostic, a value that fits none of several allowed forms
// (a repeat that is neither a keyword nor a duration), instead of one diagnostic per form.
func (r *reporter) valueAlternatives(e *jsonschema.ValidationError, inst string, s *jsonschema.Schema, meant []*jsonschema.ValidationError) bool {
	var options []string // the words it may be
	var forms []Format   // the patterns it may fit
	var leaves func(v *jsonschema.ValidationError) bool
	leaves = func(v *jsonschema.ValidationError) bool {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				if !leaves(c) {
					return false
				}
			}
			return true
		}
		switch keyword(v.KeywordLocation) {
		case "enum", "const":
			for _, m := range enumValue.FindAllStringSubmatch(v.Message, -1) {
				options = append(options, m[1])
			}
		case "pattern":
			if f, _ := r.format(v); f.Noun != "" {
				forms = append(forms, f)
			}
		case "type", "format":
		default:
			return false
		}
		return v.InstanceLocation == inst
	}
	for _, m := range meant {
		if !leaves(m) {
			return false
		}
	}
	got := yamlnode.Scalar(r.ix.Value(inst))
	code := "invalid-value"
	var msg string
	form := meantForm(got, options, forms)
	switch near := diag.Closest(got, options); {
	case near != "" || len(forms) == 0 && len(options) > 0:
		// A misspelt word: name the words.
		msg = fmt.Sprintf("%q is not one of: %s%s", got, strings.Join(options, ", "), diag.DidYouMean(got, options))
	case form != nil:
		// Evidently meant as one of the forms (a duration, a time zone): say why it is not one.
		if form.Explain != nil {
			msg = form.Explain(got)
		}
		if msg == "" {
			msg = fmt.Sprintf("%q is not %s", got, form.Noun)
		}
		code = cmp.Or(form.Code, code)
	case len(forms) > 0:
		alts := append([]string{}, options...)
		for _, f := range forms {
			alts = append(alts, f.Noun)
		}
		msg = fmt.Sprintf("%q is not allowed here: use %s", got, orList(alts))
	default:
		msg = fmt.Sprintf("%q is not allowed here", got)
		if s != nil && s.Description != "" {
			msg += ". " + s.Description
		}
	}
	r.at(r.ix.Value(inst), code, "%s: %s", where(inst), msg)
	return true
}

// meantForm returns the form a value that fits nothing was evidently written in: the only one
// when there are no words to choose from, else by its look (a moment has a T, a duration is a
// number and a unit); nil when it cannot tell.
func meantForm(got string, options []string, forms []Format) *Format {
	if len(forms) == 1 && (len(options) == 0 || startsLikeNumber(got)) {
		return &forms[0]
	}
	if !startsLikeNumber(got) {
		return nil
	}
	want := "duration"
	if strings.ContainsAny(got, "Tt:") {
		want = "moment"
	}
	for i := range forms {
		if forms[i].Code == want {
			return &forms[i]
		}
	}
	return nil
}

var enumValue = regexp.MustCompile(`"([^"]*)"`)

func startsLikeNumber(s string) bool {
	s = strings.TrimLeft(s, "+- ")
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// orList joins alternatives: "a, b or c".
func orList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// format returns what the schema of a failed `pattern` keyword says about its values.
func (r *reporter) format(e *jsonschema.ValidationError) (Format, *jsonschema.Schema) {
	s := r.c.byLoc[strings.TrimSuffix(e.AbsoluteKeywordLocation, "/pattern")]
	if s == nil || s.Pattern == nil {
		return Format{}, s
	}
	return r.c.formats[s.Pattern.String()], s
}

// example returns the first example of the schema whose keyword failed, written as it would be
// in YAML, or "".
func (r *reporter) example(e *jsonschema.ValidationError) string {
	s := r.c.byLoc[schemaOf(e.AbsoluteKeywordLocation)]
	if s == nil || len(s.Examples) == 0 {
		return ""
	}
	switch x := s.Examples[0].(type) {
	case string:
		return strconv.Quote(x)
	case bool, float64, json.Number, int:
		return fmt.Sprint(x)
	}
	return ""
}

func discriminators(alts []*jsonschema.Schema) []string {
	var keys []string
	for _, a := range alts {
		if a != nil && len(a.Required) == 1 {
			keys = append(keys, a.Required[0])
		}
	}
	if len(keys) != len(alts) {
		return nil
	}
	return keys
}

// failsOnlyRequiredAt reports whether e's failures are all missing keys of the object at inst,
// which marks an alternative the document did not mean.
func failsOnlyRequiredAt(e *jsonschema.ValidationError, inst string) bool {
	if len(e.Causes) == 0 {
		return keyword(e.KeywordLocation) == "required" && e.InstanceLocation == inst
	}
	for _, c := range e.Causes {
		if !failsOnlyRequiredAt(c, inst) {
			return false
		}
	}
	return true
}

func depth(e *jsonschema.ValidationError) int {
	d := strings.Count(e.InstanceLocation, "/")
	for _, c := range e.Causes {
		d = max(d, depth(c))
	}
	return d
}

func (r *reporter) unknownKey(parent, name, schemaLoc string) {
	node := r.ix.Child(parent, name)
	if node == nil {
		node = r.ix.Value(parent)
	}
	known := r.knownKeys(schemaLoc)
	hint := diag.DidYouMean(name, known)
	if near := diag.Closest(name, known); near != "" {
		r.misspelt[parent+"\x00"+near] = true
	}
	if hint == "" && len(known) > 0 && len(known) <= 12 {
		hint = "; the keys here are " + strings.Join(known, ", ")
	}
	r.at(node, "unknown-key", "unknown key %q in %s%s", name, where(parent), hint)
}

// knownKeys lists the properties an object schema and its combinators declare.
func (r *reporter) knownKeys(loc string) []string {
	s := r.c.byLoc[loc]
	set := map[string]bool{}
	var walk func(s *jsonschema.Schema, d int)
	walk = func(s *jsonschema.Schema, d int) {
		if s == nil || d > 8 {
			return
		}
		for k := range s.Properties {
			set[k] = true
		}
		for _, sub := range append(append(append([]*jsonschema.Schema{s.Ref, s.Then, s.Else}, s.AllOf...), s.OneOf...), s.AnyOf...) {
			walk(sub, d+1)
		}
	}
	walk(s, 0)
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func keyword(kwLoc string) string {
	i := strings.LastIndexByte(kwLoc, '/')
	k := kwLoc[i+1:]
	if _, err := fmt.Sscanf(k, "%d", new(int)); err == nil && i > 0 {
		// e.g. ".../oneOf/2": the keyword is the one before the index
		j := strings.LastIndexByte(kwLoc[:i], '/')
		return kwLoc[j+1 : i]
	}
	return k
}

// schemaOf strips the keyword from an absolute keyword location, leaving the schema's location.
func schemaOf(abs string) string {
	i := strings.LastIndexByte(abs, '/')
	if i < 0 {
		return abs
	}
	return abs[:i]
}

func splitPointer(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], strings.NewReplacer("~1", "/", "~0", "~").Replace(p[i+1:])
}

// where names an instance location the way a reader of the file thinks of it.
func where(inst string) string {
	if inst == "" {
		return "the file"
	}
	parts := strings.Split(strings.TrimPrefix(inst, "/"), "/")
	var b strings.Builder
	for i, p := range parts {
		p = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
		if _, err := fmt.Sscanf(p, "%d", new(int)); err == nil && len(p) > 0 && p[0] >= '0' && p[0] <= '9' {
			fmt.Fprintf(&b, "[%s]", p)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return "`" + b.String() + "`"
}

var typeRe = regexp.MustCompile(`expected (.*), but got (\w+)`)

func typeWords(msg string, expected bool) string {
	m := typeRe.FindStringSubmatch(msg)
	if m == nil {
		return "of another type"
	}
	if !expected {
		return yamlWord(m[2])
	}
	var ws []string
	for _, t := range strings.Split(m[1], " or ") {
		ws = append(ws, yamlWord(t))
	}
	return strings.Join(ws, " or ")
}

func yamlWord(t string) string {
	switch t {
	case "object":
		return "a mapping (key: value lines)"
	case "array":
		return "a list (lines starting with -)"
	case "string":
		return "text"
	case "integer":
		return "a whole number"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "null":
		return "empty"
	}
	return t
}

func firstSentence(s string) string {
	if len(s) <= 120 {
		return s
	}
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
