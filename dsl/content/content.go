// Package content reads message content (template files and inline `content`) into Liquid
// templates per locale, checks that it fits the shape of its channel, picks the variant for a
// customer's locale, and renders it.
package content

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/tmpl"
	"github.com/afterglowhq/afterglow/message"
	"gopkg.in/yaml.v3"
)

// Content is the localized content of one message.
type Content struct {
	Shape         message.Shape
	DefaultLocale string
	Locales       map[string]*Variant
	CustomerRefs  []FieldRef // customer.NAME used in the fields, for a check against the customer schema
	// EventRefs are the uses of an event's data (trigger.data.PATH, steps.ID.event.data.PATH), for
	// a check against the event catalog by each flow that sends the content.
	EventRefs []FieldRef
}

// FieldRef is a use of customer.NAME (Name is NAME) or of an event's data (Name is the whole path
// as written, trigger.data.items[0].name) in a template.
type FieldRef struct {
	Name   string
	at     *yaml.Node
	offset int
	f      *fieldParser
}

// Pos is where the use is written. It is worked out on demand: most uses are fine and never
// reported.
func (r FieldRef) Pos() diag.Pos { return r.f.pos(r.at, r.offset) }

// PosAt is where the use's rune k is written.
func (r FieldRef) PosAt(k int) diag.Pos { return r.f.pos(r.at, r.offset+k) }

// Variant is the content in one locale. Text fields are Liquid templates; a webhook body is a
// JSON object whose string leaves are templates.
type Variant struct {
	Locale string
	Fields map[string]*tmpl.Template
	Params []*tmpl.Template // WhatsApp approved-template parameters, in order
	Body   any              // webhook: map[string]any / []any / *tmpl.Template / other JSON values
}

// Fields lists, per shape, the text fields and whether each is required. WhatsApp and webhook have
// rules beyond this table (see Check).
var Fields = map[message.Shape]map[string]bool{
	message.Email:    {"subject": true, "text": true, "html": false},
	message.SMS:      {"text": true},
	message.Push:     {"title": true, "body": true, "url": false},
	message.WhatsApp: {"text": false, "template_name": false, "language": false},
	message.Webhook:  {},
}

// ShapeFieldNames returns every field name a shape accepts, sorted.
func ShapeFieldNames(s message.Shape) []string {
	var out []string
	for f := range Fields[s] {
		out = append(out, f)
	}
	switch s {
	case message.WhatsApp:
		out = append(out, "params")
	case message.Webhook:
		out = append(out, "body")
	}
	sort.Strings(out)
	return out
}

// IsShape reports whether s names a content shape.
func IsShape(s string) bool {
	_, ok := Fields[message.Shape(s)]
	return ok
}

// LocalesWithout lists, sorted, the locales none of whose fields among fields mentions name: an
// email whose text and html never use unsubscribe_url shows no way out. A locale none of whose
// fields could be read (a syntax error, reported as such) is not listed.
func (c *Content) LocalesWithout(name string, fields ...string) []string {
	var out []string
	for loc, v := range c.Locales {
		found, read := false, false
		for _, f := range fields {
			if t := v.Fields[f]; t != nil {
				read = true
				found = found || strings.Contains(t.Source(), name)
			}
		}
		if read && !found {
			out = append(out, loc)
		}
	}
	sort.Strings(out)
	return out
}

// Pick returns the variant for a customer's locale: the exact locale, then its language, then
// the default locale.
func (c *Content) Pick(locale string) *Variant {
	v, _ := PickLocale(c.Locales, locale, c.DefaultLocale)
	return v
}

// PickLocale is the fallback every text in a customer's language follows: the entry for the exact
// locale (es-PE, case and _ or - aside), then for its language (es), then for def.
func PickLocale[T any](m map[string]T, locale, def string) (T, bool) {
	if v, ok := m[locale]; ok && locale != "" {
		return v, true
	}
	norm := strings.ReplaceAll(locale, "_", "-")
	for l, v := range m {
		if strings.EqualFold(l, norm) {
			return v, true
		}
	}
	if lang, _, ok := strings.Cut(norm, "-"); ok || lang != "" {
		for l, v := range m {
			if strings.EqualFold(l, lang) {
				return v, true
			}
		}
	}
	v, ok := m[def]
	return v, ok
}

// Render fills the variant's templates. A missing variable renders empty; a failing filter is an
// error, and the message is then marked failed by the caller. The fields share the bounds of
// one message (see tmpl): a rendering that breaks one is an error wrapping tmpl.ErrLimit.
func (v *Variant) Render(vars map[string]any) (message.Content, error) {
	return v.render(vars, false)
}

// RenderPreview fills only what a timeline shows: the subject, title and texts, not the HTML body
// or a webhook's payload, which are most of the rendering work of a long simulation.
func (v *Variant) RenderPreview(vars map[string]any) (message.Content, error) {
	return v.render(vars, true)
}

func (v *Variant) render(vars map[string]any, preview bool) (message.Content, error) {
	var out message.Content
	b := tmpl.NewBudget()
	get := func(name string) (string, error) {
		t, ok := v.Fields[name]
		if !ok {
			return "", nil
		}
		s, err := t.Render(vars, b)
		if err != nil {
			return "", fmt.Errorf("%s: %v", name, err)
		}
		return s, nil
	}
	var err error
	set := func(dst *string, name string) {
		if err != nil {
			return
		}
		*dst, err = get(name)
	}
	set(&out.Subject, "subject")
	set(&out.Text, "text")
	if !preview {
		set(&out.HTML, "html")
	}
	set(&out.Title, "title")
	set(&out.Body, "body")
	set(&out.URL, "url")
	set(&out.TemplateName, "template_name")
	set(&out.Language, "language")
	if err != nil {
		return out, err
	}
	for i, p := range v.Params {
		s, perr := p.Render(vars, b)
		if perr != nil {
			return out, fmt.Errorf("params[%d]: %v", i, perr)
		}
		out.Params = append(out.Params, s)
	}
	if v.Body != nil && preview {
		out.Payload = map[string]any{}
	} else if v.Body != nil {
		body, berr := renderJSON(v.Body, vars, b)
		if berr != nil {
			return out, fmt.Errorf("body: %v", berr)
		}
		out.Payload, _ = body.(map[string]any)
	}
	return out, nil
}

func renderJSON(v any, vars map[string]any, b *tmpl.Budget) (any, error) {
	switch x := v.(type) {
	case *tmpl.Template:
		return x.Render(vars, b)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderJSON(e, vars, b)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderJSON(e, vars, b)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// Variables are the names templates may use at the top level.
var Variables = []string{"customer", "trigger", "steps", "journey", "data", "unsubscribe_url"}

var (
	outputRe = regexp.MustCompile(`\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)`)
	tagRe    = regexp.MustCompile(`\{%-?\s*(if|elsif|unless|case|when)\s+([A-Za-z_][A-Za-z0-9_]*)`)
	forRe    = regexp.MustCompile(`\{%-?\s*(?:for|tablerow)\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+\(?([A-Za-z_][A-Za-z0-9_]*)?`)
	assignRe = regexp.MustCompile(`\{%-?\s*(?:assign|capture|increment|decrement)\s+([A-Za-z_][A-Za-z0-9_]*)`)
	literals = map[string]bool{"true": true, "false": true, "nil": true, "null": true, "empty": true, "blank": true, "forloop": true, "tablerowloop": true}
)

// Var is a variable a template uses, at a rune offset of its source.
type Var struct {
	Name   string
	Offset int
}

// UnknownVariables returns root names a template uses that are neither template variables nor
// defined inside it, each at its first use. It reads the source lightly (no full parse), so it
// only ever warns.
func UnknownVariables(src string) []Var {
	src = blankVerbatim(src)
	defined := map[string]bool{}
	for _, m := range assignRe.FindAllStringSubmatch(src, -1) {
		defined[m[1]] = true
	}
	type use struct {
		name string
		at   int
	}
	var used []use
	add := func(m []int, g int) {
		if m[2*g] >= 0 {
			used = append(used, use{src[m[2*g]:m[2*g+1]], m[2*g]})
		}
	}
	for _, m := range forRe.FindAllStringSubmatchIndex(src, -1) {
		defined[src[m[2]:m[3]]] = true
		add(m, 2)
	}
	for _, m := range outputRe.FindAllStringSubmatchIndex(src, -1) {
		add(m, 1)
	}
	for _, m := range tagRe.FindAllStringSubmatchIndex(src, -1) {
		add(m, 2)
	}
	sort.SliceStable(used, func(i, j int) bool { return used[i].at < used[j].at })
	var unknown []Var
	seen := map[string]bool{}
	runes, counted := 0, 0
	for _, u := range used {
		if defined[u.name] || literals[u.name] || seen[u.name] || contains(Variables, u.name) {
			continue
		}
		seen[u.name] = true
		runes += utf8.RuneCountInString(src[counted:u.at])
		counted = u.at
		unknown = append(unknown, Var{u.name, runes})
	}
	return unknown
}

var (
	tagSpan     = regexp.MustCompile(`(?s)\{\{.*?\}\}|\{%.*?%\}`)
	filterUse   = regexp.MustCompile(`\|\s*([A-Za-z_][A-Za-z0-9_]*)`)
	customerUse = regexp.MustCompile(`(?:^|[^.\w])customer\.([A-Za-z_][A-Za-z0-9_]*)`)
	eventUse    = regexp.MustCompile(`(?:^|[^.\w])((?:trigger|steps\.[a-z][a-z0-9_-]*\.event)\.data(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])+)`)
	quotedText  = regexp.MustCompile(`"[^"]*"|'[^']*'`)
)

// inTags returns the matches of re (group 1) inside {{ }} and {% %}, outside quoted text.
func inTags(src string, re *regexp.Regexp) []Var {
	src = blankVerbatim(src)
	var out []Var
	runes, counted := 0, 0 // rune offset of byte offset counted, advanced as matches go forward
	for _, span := range tagSpan.FindAllStringIndex(src, -1) {
		tag := quotedText.ReplaceAllStringFunc(src[span[0]:span[1]], func(m string) string { return strings.Repeat(" ", len(m)) })
		for _, m := range re.FindAllStringSubmatchIndex(tag, -1) {
			at := span[0] + m[2]
			runes += utf8.RuneCountInString(src[counted:at])
			counted = at
			out = append(out, Var{src[at : span[0]+m[3]], runes})
		}
	}
	return out
}

// Filters returns the filters a template applies, each where it is written.
func Filters(src string) []Var { return inTags(src, filterUse) }

// CustomerFields returns the customer attributes a template reads (customer.NAME), each where it
// is written.
func CustomerFields(src string) []Var { return inTags(src, customerUse) }

// EventFields returns the paths into an event's data a template reads (trigger.data.total,
// steps.delivered.event.data.order_id), each where it is written.
func EventFields(src string) []Var {
	if !strings.Contains(src, ".data") {
		return nil // most fields read no event; sparing them the scan keeps huge templates cheap
	}
	return inTags(src, eventUse)
}

// KnownFilter reports whether templates may use the named filter.
func KnownFilter(name string) bool { return tmpl.HasFilter(name) }

// filterNames are the filters suggested for a misspelt one.
var filterNames = sync.OnceValue(func() []string {
	out := tmpl.Filters()
	sort.Strings(out)
	return out
})

var verbatimRe = regexp.MustCompile(`(?s)\{%-?\s*(raw|comment)\s*-?%\}.*?\{%-?\s*end(raw|comment)\s*-?%\}`)

// blankVerbatim replaces each character of raw and comment blocks, whose braces are text, with a
// space, so that rune offsets into the result are rune offsets into src.
func blankVerbatim(src string) string {
	return verbatimRe.ReplaceAllStringFunc(src, func(m string) string {
		return strings.Map(func(rune) rune { return ' ' }, m)
	})
}

func contains(xs []string, x string) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}
