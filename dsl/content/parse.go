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
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/message"
	"gopkg.in/yaml.v3"
)

// LocaleRe is the form of a locale: a language, optionally a region (es, es-PE, pt-BR, es-419).
var LocaleRe = regexp.MustCompile(`^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$`)

// Parse reads default_locale and locales (value nodes; either may be nil) of the file whose source
// is src as content of the given shape. It reports every problem and returns what it could read;
// nil when nothing usable.
func Parse(file string, src []byte, shape message.Shape, defaultLocale, locales *yaml.Node, where *yaml.Node, l *diag.List) *Content {
	c := &Content{Shape: shape, Locales: map[string]*Variant{}}
	f := &fieldParser{file: file, src: src, l: l, refs: &c.CustomerRefs, eventRefs: &c.EventRefs}
	pos := func(n *yaml.Node) diag.Pos {
		if n == nil {
			n = where
		}
		if n == nil {
			return diag.Pos{File: file, Line: 1, Col: 1}
		}
		return diag.Pos{File: file, Line: n.Line, Col: n.Column}
	}
	if locales == nil || locales.Kind != yaml.MappingNode {
		l.ErrorfOnce(pos(where), "missing-key", "content needs `locales`: the text for each language, like `locales: {es: {...}}`")
		return nil
	}
	var names []string
	for _, p := range yamlnode.Pairs(locales) {
		loc := p.Key.Value
		names = append(names, loc)
		if !LocaleRe.MatchString(loc) {
			l.ErrorfOnce(pos(p.Key), "invalid-value", "%q is not a locale: use a language code, optionally with a region, like es, es-PE or pt-BR", loc)
		}
		if v := f.variant(shape, loc, p.Key, p.Value); v != nil {
			c.Locales[loc] = v
		}
	}
	if defaultLocale == nil {
		l.ErrorfOnce(pos(where), "missing-key", "content needs `default_locale`: the locale used when the customer's is missing (one of %s)", strings.Join(names, ", "))
		return c
	}
	c.DefaultLocale = defaultLocale.Value
	if k, _ := yamlnode.Get(locales, c.DefaultLocale); k == nil {
		l.Errorf(pos(defaultLocale), "template-locale", "default_locale %q has no entry in locales%s; the locales are %s, and customers without a matching one would get nothing",
			c.DefaultLocale, diag.DidYouMean(c.DefaultLocale, names), strings.Join(names, ", "))
	}
	return c
}

// fieldParser parses the Liquid fields of one file, locating problems inside them.
type fieldParser struct {
	file      string
	src       []byte
	l         *diag.List
	refs      *[]FieldRef
	eventRefs *[]FieldRef
	// lines is src split, once a position inside a value is needed. A template's uses are located
	// by each flow that checks them, in parallel.
	lines     yamlnode.Lines
	linesOnce sync.Once
}

func (f *fieldParser) pos(n *yaml.Node, offset int) diag.Pos {
	f.linesOnce.Do(func() { f.lines = yamlnode.SplitLines(f.src) })
	line, col := f.lines.Position(n, offset)
	return diag.Pos{File: f.file, Line: line, Col: col}
}

func (f *fieldParser) variant(shape message.Shape, locale string, key, n *yaml.Node) *Variant {
	file, l := f.file, f.l
	pos := func(x *yaml.Node) diag.Pos { return diag.Pos{File: file, Line: x.Line, Col: x.Column} }
	if n == nil || n.Kind != yaml.MappingNode {
		l.ErrorfOnce(pos(key), "wrong-type", "locale %s must be a mapping of the %s fields (%s)", locale, shape, strings.Join(ShapeFieldNames(shape), ", "))
		return nil
	}
	v := &Variant{Locale: locale, Fields: map[string]*tmpl.Template{}}
	allowed := ShapeFieldNames(shape)
	present := map[string]*yaml.Node{}
	for _, p := range yamlnode.Pairs(n) {
		name := p.Key.Value
		present[name] = p.Key
		if !contains(allowed, name) {
			l.ErrorfOnce(pos(p.Key), "template-shape", "%s content has no field %q%s; its fields are %s",
				shape, name, diag.DidYouMean(name, allowed), strings.Join(allowed, ", "))
			continue
		}
		switch {
		case shape == message.Webhook && name == "body":
			if p.Value.Kind != yaml.MappingNode {
				l.ErrorfOnce(pos(p.Value), "template-shape", "a webhook body must be a mapping (a JSON object)")
				continue
			}
			v.Body = f.jsonTemplate(p.Value)
		case shape == message.WhatsApp && name == "params":
			if p.Value.Kind != yaml.SequenceNode {
				l.ErrorfOnce(pos(p.Value), "template-shape", "params must be a list of texts, one per {{n}} placeholder of the approved template")
				continue
			}
			for _, item := range yamlnode.Items(p.Value) {
				if t := f.field(item); t != nil {
					v.Params = append(v.Params, t)
				}
			}
		default:
			if !yamlnode.IsScalar(p.Value) {
				l.ErrorfOnce(pos(p.Value), "wrong-type", "%s must be text", name)
				continue
			}
			if t := f.field(p.Value); t != nil {
				v.Fields[name] = t
			}
			if shape == message.SMS && name == "text" {
				warnLongSMS(file, p.Value, l)
			}
		}
	}
	var missing []string
	for f, req := range Fields[shape] {
		if req && present[f] == nil {
			missing = append(missing, "`"+f+"`")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		l.ErrorfOnce(pos(key), "template-shape", "%s content in locale %s needs %s", shape, locale, strings.Join(missing, " and "))
	}
	switch shape {
	case message.WhatsApp:
		_, hasText := present["text"]
		_, hasTpl := present["template_name"]
		switch {
		case hasText == hasTpl:
			l.ErrorfOnce(pos(key), "template-shape", "whatsapp content in locale %s needs either `text` or an approved `template_name` with `params` (business-initiated messages must use an approved template)", locale)
		case present["params"] != nil && !hasTpl:
			l.ErrorfOnce(pos(present["params"]), "template-shape", "params only go with template_name")
		}
	case message.Webhook:
		if present["body"] == nil {
			l.ErrorfOnce(pos(key), "template-shape", "webhook content in locale %s needs `body`, a mapping sent as the JSON object", locale)
		}
	}
	return v
}

// field parses one Liquid field, reporting a syntax error, and unknown variables, at the character
// they concern.
func (f *fieldParser) field(n *yaml.Node) *tmpl.Template {
	src := n.Value
	if off, msg := unclosedDelimiter(src); off >= 0 {
		f.errorAt(n, off, "template-syntax", "invalid Liquid: %s", msg)
		return nil
	}
	t, err := tmpl.Parse(src)
	if err != nil {
		off, msg := liquidErrorOffset(src, err)
		f.errorAt(n, off, "template-syntax", "invalid Liquid: %s", msg)
		return nil
	}
	unknown := UnknownVariables(src)
	for _, u := range unknown[:min(len(unknown), MaxReports)] {
		f.l.Warnf(f.pos(n, u.Offset), "template-variable",
			"unknown variable %q%s; templates see %s", u.Name, diag.DidYouMean(u.Name, Variables), strings.Join(Variables, ", "))
	}
	ok, reported := true, 0
	for _, u := range firstUses(Filters(src)) {
		if reported >= MaxReports {
			break // each name is tried by rendering; the first few unknown ones make the point
		}
		if !KnownFilter(u.Name) {
			reported++
			f.errorAt(n, u.Offset, "template-filter", "unknown filter %q%s; it would fail every message at send time", u.Name, diag.DidYouMean(u.Name, filterNames()))
			ok = false
		}
	}
	for _, u := range firstUses(CustomerFields(src)) {
		*f.refs = append(*f.refs, FieldRef{Name: u.Name, at: n, offset: u.Offset, f: f})
	}
	for _, u := range firstUses(EventFields(src)) {
		*f.eventRefs = append(*f.eventRefs, FieldRef{Name: u.Name, at: n, offset: u.Offset, f: f})
	}
	if !ok {
		return nil
	}
	// Unknown filters are reported above, rendering would only stop at the first one.
	for _, p := range t.Check(trialVars()) {
		f.errorAt(n, p.Offset, "template-limit", "%s", p.Message)
		ok = false
	}
	if !ok {
		return nil
	}
	return t
}

// trialVars are the variables a template is tried with: none with a value, so that what breaks a
// bound then breaks it for every customer.
func trialVars() map[string]any {
	v := map[string]any{}
	for _, n := range Variables {
		v[n] = nil
	}
	v["data"] = map[string]any{}
	return v
}

func (f *fieldParser) errorAt(n *yaml.Node, offset int, code, format string, args ...any) {
	f.l.Errorf(f.pos(n, offset), code, format, args...)
}

// MaxReports bounds the diagnostics of one kind in one field: locating each walks the value, and
// past the first few a reader learns nothing new.
const MaxReports = 10

// firstUses keeps the first use of each name: one diagnostic per name and field is enough, and a
// long template may use a name thousands of times.
func firstUses(vs []Var) []Var {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		if !seen[v.Name] {
			seen[v.Name] = true
			out = append(out, v)
		}
	}
	return out
}

var liquidLocation = regexp.MustCompile(`^Liquid error(?: \(line \d+\))?: `)

// liquidErrorOffset finds where in src a Liquid parse error is: the parser gives the 0-based line
// and ends its message with the offending tag, which is then looked for on that line. It returns
// the rune offset and the message without the location, which the diagnostic carries instead.
func liquidErrorOffset(src string, err error) (int, string) {
	msg := plainLiquid(liquidLocation.ReplaceAllString(err.Error(), ""))
	line := 0
	if l, ok := err.(interface{ LineNumber() int }); ok {
		line = l.LineNumber()
	}
	lineStart := 0
	for i := 0; i < line; i++ {
		j := strings.IndexByte(src[lineStart:], '\n')
		if j < 0 {
			break
		}
		lineStart += j + 1
	}
	off := lineStart
	if k := strings.LastIndex(msg, " in {"); k >= 0 {
		if i := strings.Index(src[lineStart:], msg[k+4:]); i >= 0 {
			off = lineStart + i
		}
	}
	return utf8.RuneCountInString(src[:off]), msg
}

var (
	mismatchedEnd = regexp.MustCompile(`^(end\w+) not inside ; immediate parent is (\w+) in `)
	strayEnd      = regexp.MustCompile(`^(end\w+) not inside  in `)
	unterminated  = regexp.MustCompile(`^unterminated "(\w+)" block in `)
)

// plainLiquid rewords the Liquid parser's block errors, which leave out the words that explain
// them ("endfor not inside ; immediate parent is if"), keeping the offending tag at the end.
func plainLiquid(msg string) string {
	if m := mismatchedEnd.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s does not close the open %s block; close that with end%s first, in %s", m[1], m[2], m[2], msg[len(m[0]):])
	}
	if m := strayEnd.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s closes no open block, in %s", m[1], msg[len(m[0]):])
	}
	if m := unterminated.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("the %s block is never closed: add {%% end%s %%}, in %s", m[1], m[1], msg[len(m[0]):])
	}
	return msg
}

// unclosedDelimiter finds a {{ or {% that is never closed, which Liquid itself passes on as text,
// so that "Hola {{ customer.first_name }" would reach customers as written. It returns the rune
// offset of the opener and a message, or -1.
func unclosedDelimiter(src string) (int, string) {
	for i := 0; ; {
		j := nextOpener(src, i)
		if j < 0 {
			return -1, ""
		}
		closer := "}}"
		if src[j+1] == '%' {
			closer = "%}"
		}
		end := strings.Index(src[j+2:], closer)
		next := nextOpener(src, j+2)
		if end < 0 || next >= 0 && next < j+2+end {
			return utf8.RuneCountInString(src[:j]), fmt.Sprintf("this %s is never closed with %s", src[j:j+2], closer)
		}
		i = j + 2 + end + 2
		if m := verbatimTag.FindStringSubmatch(src[j:i]); m != nil {
			// Inside raw and comment, braces are text.
			k := strings.Index(src[i:], "end"+m[1])
			if k < 0 {
				return -1, "" // Liquid reports the unterminated block itself
			}
			i += k
		}
	}
}

var verbatimTag = regexp.MustCompile(`^\{%-?\s*(raw|comment)\s*-?%\}$`)

func nextOpener(s string, from int) int {
	for k := from; k+1 < len(s); k++ {
		if s[k] == '{' && (s[k+1] == '{' || s[k+1] == '%') {
			return k
		}
	}
	return -1
}

func (f *fieldParser) jsonTemplate(n *yaml.Node) any {
	n = yamlnode.Resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, p := range yamlnode.Pairs(n) {
			m[p.Key.Value] = f.jsonTemplate(p.Value)
		}
		return m
	case yaml.SequenceNode:
		var out []any
		for _, c := range n.Content {
			out = append(out, f.jsonTemplate(c))
		}
		return out
	}
	if n.ShortTag() == "!!str" {
		if t := f.field(n); t != nil {
			return t
		}
		return nil
	}
	return yamlnode.Value(n)
}

var liquidTag = regexp.MustCompile(`\{\{.*?\}\}|\{%.*?%\}`)

// warnLongSMS warns when the fixed text alone passes one SMS segment: the customer then gets (and
// the shop pays for) several.
func warnLongSMS(file string, n *yaml.Node, l *diag.List) {
	fixed := liquidTag.ReplaceAllString(n.Value, "")
	if c := len([]rune(fixed)); c > 160 {
		l.Warnf(diag.Pos{File: file, Line: n.Line, Col: n.Column}, "sms-length",
			"the SMS text is %d characters before variables are filled; over 160 it is sent as several messages", c)
	}
}
