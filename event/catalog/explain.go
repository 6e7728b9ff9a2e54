package catalog

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/event"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// explain turns a validation error into one problem per field, in the words of the catalog: what
// the field must be (read from the schema that failed) and what it is.
func explain(t *Type, doc map[string]any, data any, err error) []event.Problem {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []event.Problem{{Field: "data", Message: err.Error()}}
	}
	x := explainer{t: t, doc: doc, data: data, seen: map[string]bool{}}
	x.walk(ve)
	sort.SliceStable(x.out, func(i, j int) bool { return x.out[i].Field < x.out[j].Field })
	return x.out
}

type explainer struct {
	t    *Type
	doc  map[string]any
	data any
	seen map[string]bool
	out  []event.Problem
}

func (x *explainer) add(ptr, msg string) {
	f := fieldPath(ptr)
	if x.seen[f] {
		return // one problem per field: a decimal that is not one fails its type, pattern and format
	}
	x.seen[f] = true
	x.out = append(x.out, event.Problem{Field: f, Message: msg})
}

var quoted = regexp.MustCompile(`'([^']*)'`)

func (x *explainer) walk(e *jsonschema.ValidationError) {
	kw := lastSegment(e.KeywordLocation)
	if (kw == "anyOf" || kw == "oneOf") && len(e.Causes) > 0 {
		x.add(e.InstanceLocation, "fits none of the forms the schema of "+x.t.Name+" allows for it")
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			x.walk(c)
		}
		return
	}
	node := x.node(e.AbsoluteKeywordLocation)
	if _, def, ok := strings.Cut(e.AbsoluteKeywordLocation, "#/$defs/"); ok && node != nil {
		// A shared definition (a currency, an id) is named after what it is.
		named := map[string]any{"$defName": strings.Split(def, "/")[0]}
		for k, v := range node {
			named[k] = v
		}
		node = named
	}
	inst := e.InstanceLocation
	switch kw {
	case "required":
		for _, m := range quoted.FindAllStringSubmatch(e.Message, -1) {
			prop := x.property(node, m[1])
			x.add(inst+"/"+m[1], fmt.Sprintf("is required for %s (%s)", x.t.Name, words(x.resolve(prop))))
		}
	case "additionalProperties", "unevaluatedProperties":
		var known []string
		if props, ok := node["properties"].(map[string]any); ok {
			for k := range props {
				known = append(known, k)
			}
		}
		sort.Strings(known)
		for _, m := range quoted.FindAllStringSubmatch(e.Message, -1) {
			x.add(inst+"/"+m[1], fmt.Sprintf("is not a field of %s%s", x.t.Name, diag.DidYouMean(m[1], known)))
		}
		if kw == "unevaluatedProperties" && len(quoted.FindAllStringSubmatch(e.Message, -1)) == 0 {
			x.add(inst, fmt.Sprintf("is not a field of %s", x.t.Name))
		}
	case "type", "format", "pattern", "enum", "const":
		x.add(inst, fmt.Sprintf("must be %s, got %s", words(node), shown(valueAt(x.data, inst))))
	case "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum":
		x.add(inst, fmt.Sprintf("must be %s, got %s", bounds(node), shown(valueAt(x.data, inst))))
	case "minLength":
		x.add(inst, "must not be empty")
	default:
		x.add(inst, e.Message)
	}
}

// node returns the schema object holding the keyword at an absolute keyword location.
func (x *explainer) node(abs string) map[string]any {
	_, frag, _ := strings.Cut(abs, "#")
	segs := strings.Split(strings.TrimPrefix(frag, "/"), "/")
	if len(segs) > 0 {
		segs = segs[:len(segs)-1] // the keyword itself
	}
	m, _ := walk(x.doc, segs).(map[string]any)
	return m
}

func (x *explainer) property(node map[string]any, name string) map[string]any {
	props, _ := node["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

// resolve follows a local $ref, keeping the referring schema's own keywords.
func (x *explainer) resolve(s map[string]any) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok || !strings.HasPrefix(ref, "#/") {
		return s
	}
	target := x.node(ref + "/x")
	if target == nil {
		return s
	}
	out := map[string]any{"$defName": lastSegment(ref)}
	for k, v := range target {
		out[k] = v
	}
	for k, v := range s {
		if k != "$ref" && k != "description" && k != "examples" {
			out[k] = v
		}
	}
	return out
}

// words says what a value of schema s is, for "must be ..." and "is required (...)".
func words(s map[string]any) string {
	if s == nil {
		return "a value"
	}
	if s["format"] == "decimal" {
		return `a decimal amount: a number, or a decimal string like "59.90"`
	}
	if s["format"] == "date-time" {
		return `a time in RFC 3339, like "2025-10-14T15:00:00-05:00"`
	}
	if vals, ok := s["enum"].([]any); ok {
		var vs []string
		for _, v := range vals {
			vs = append(vs, fmt.Sprint(v))
		}
		return "one of " + strings.Join(vs, ", ")
	}
	if name, _ := s["$defName"].(string); name == "currency" {
		return `an ISO 4217 currency code like "PEN"`
	}
	types := typeList(s["type"])
	if len(types) == 2 && types[0] == "integer" && types[1] == "string" {
		return "an id: a string, or a whole number"
	}
	var ws []string
	for _, t := range types {
		switch t {
		case "string":
			w := "a string"
			if p, ok := s["pattern"].(string); ok {
				w += " matching " + p
			}
			ws = append(ws, w)
		case "integer":
			ws = append(ws, "a whole number")
		case "number":
			ws = append(ws, "a number")
		case "boolean":
			ws = append(ws, "true or false")
		case "array":
			ws = append(ws, "a list")
		case "object":
			ws = append(ws, "an object")
		case "null":
			ws = append(ws, "null")
		}
	}
	if len(ws) == 0 {
		return "a value of the kind its schema says"
	}
	return strings.Join(ws, " or ")
}

func bounds(s map[string]any) string {
	var parts []string
	if v, ok := s["minimum"]; ok {
		parts = append(parts, fmt.Sprintf("at least %v", v))
	}
	if v, ok := s["exclusiveMinimum"]; ok {
		parts = append(parts, fmt.Sprintf("more than %v", v))
	}
	if v, ok := s["maximum"]; ok {
		parts = append(parts, fmt.Sprintf("at most %v", v))
	}
	if v, ok := s["exclusiveMaximum"]; ok {
		parts = append(parts, fmt.Sprintf("less than %v", v))
	}
	return strings.Join(parts, " and ")
}

func typeList(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		out = []string{t}
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// shown is a value as a message quotes it: texts quoted (and cut), others by their kind.
func shown(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	if d := event.Describe(v); d == "a number" {
		return fmt.Sprint(v)
	} else {
		return d
	}
}

// valueAt follows a JSON pointer into decoded data.
func valueAt(data any, ptr string) any {
	return walk(data, strings.Split(ptr, "/"))
}

// walk follows the segments of a JSON pointer (escaped, empty ones skipped) into decoded JSON;
// nil when a segment leads nowhere.
func walk(cur any, segs []string) any {
	for _, s := range segs {
		if s == "" {
			continue
		}
		s = unescape(s)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[s]
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// fieldPath writes a JSON pointer into the data as the field path messages use:
// /items/0/price is data.items[0].price.
func fieldPath(ptr string) string {
	var b strings.Builder
	b.WriteString("data")
	for _, s := range strings.Split(ptr, "/") {
		if s == "" {
			continue
		}
		s = unescape(s)
		switch {
		case isIndex(s):
			b.WriteString("[" + s + "]")
		case plainKey.MatchString(s):
			b.WriteString("." + s)
		default:
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return unescape(p[i+1:])
	}
	return p
}

func unescape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
