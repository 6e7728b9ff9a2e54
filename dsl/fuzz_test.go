package dsl

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/console"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
)

// The fuzz targets feed arbitrary bytes to the parsers, as a marketer's editor (or a merge gone
// wrong) may. Whatever the input, parsing must return, quickly, and every diagnostic must point
// inside the file. Seeds live in testdata/fuzz, taken from the starter library and the validation
// corpus.

const fuzzSettings = `timezone: America/Lima
channels:
  email: {connector: console}
  sms: {connector: console}
  whatsapp: {connector: console}
  push: {connector: console}
  crm: {connector: console, shape: webhook}
`

var fuzzTemplates = []string{
	"template: thank-you\nchannel: email\ndefault_locale: es\nlocales:\n  es: {subject: \"Gracias {{ customer.first_name }}\", text: \"Pedido {{ trigger.data.order_id }}\"}\n",
	"template: nps-survey\nchannel: email\ndefault_locale: es\nlocales:\n  es: {subject: NPS, text: \"{{ data.survey_url }}\"}\n",
	"template: reminder\nchannel: sms\ndefault_locale: es\nlocales:\n  es: {text: Hola}\n",
	"template: restock\nchannel: whatsapp\ndefault_locale: es\nlocales:\n  es: {template_name: restock, params: [\"{{ customer.first_name }}\"]}\n",
	"template: app\nchannel: push\ndefault_locale: es\nlocales:\n  es: {title: Hola, body: Hola}\n",
	"template: crm\nchannel: webhook\ndefault_locale: es\nlocales:\n  es: {body: {id: \"{{ customer.id }}\"}}\n",
}

var fuzzContext = sync.OnceValue(func() *Context {
	var l diag.List
	s := ParseSettings("afterglow.yaml", []byte(fuzzSettings), &l)
	tpls := map[string]*Template{}
	for _, src := range fuzzTemplates {
		if t := ParseTemplate("t.yaml", []byte(src), &l); t != nil {
			tpls[t.Name] = t
		}
	}
	if l.Len() != 0 {
		panic("fuzz context: " + l.Items()[0].String())
	}
	return &Context{Settings: s, Templates: tpls, Customer: exprs.CustomerType(map[string]*exprs.Type{
		"birthday": exprs.TimeT, "loyalty_points": exprs.IntT, "push_token": exprs.StringT,
		"tier": {Kind: exprs.String, Enum: []string{"bronze", "silver", "gold"}},
	})}
})

// fuzzLimit is how long one input may take. Real files take a millisecond; a limit far above
// that still catches work that grows out of proportion with the input.
const fuzzLimit = 5 * time.Second

func checkDiagnostics(t *testing.T, file string, src []byte, ds []diag.Diagnostic) {
	t.Helper()
	lines := bytes.Count(src, []byte("\n")) + 1
	for _, d := range ds {
		if d.File != file || d.Code == "" || d.Message == "" || (d.Severity != diag.Error && d.Severity != diag.Warning) {
			t.Errorf("malformed diagnostic %+v", d)
		}
		if d.Line < 0 || d.Line > lines || d.Col < 0 || (d.Line > 0 && d.Col == 0) {
			t.Errorf("diagnostic outside the file (%d lines): %s", lines, d)
			continue
		}
		if d.Line > 0 {
			text := strings.Split(string(src), "\n")[d.Line-1]
			if n := len([]rune(text)); d.Col > n+1 {
				t.Errorf("diagnostic past the end of line %d (%d characters): %s", d.Line, n, d)
			}
		}
	}
}

// timed runs fn and fails the test when it takes longer than fuzzLimit.
func timed(t *testing.T, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if el := time.Since(start); el > fuzzLimit {
		t.Errorf("took %v", el)
	}
}

func FuzzParseFlow(f *testing.F) {
	f.Add([]byte("flow: a\ntrigger: {event: order.placed}\nsteps: [{id: a, send: {channel: email, template: thank-you}}]\n"))
	ctx := fuzzContext()
	f.Fuzz(func(t *testing.T, src []byte) {
		var l diag.List
		var fl *Flow
		timed(t, func() { fl = ParseFlow("f.yaml", src, ctx, &l) })
		// A flow also reports what the templates it sends read of its events, in their files.
		var own, inTemplates []diag.Diagnostic
		for _, d := range l.Items() {
			if d.File == "t.yaml" && strings.HasPrefix(d.Code, "template-") {
				inTemplates = append(inTemplates, d)
			} else {
				own = append(own, d)
			}
		}
		checkDiagnostics(t, "f.yaml", src, own)
		for _, d := range inTemplates {
			if !strings.Contains(d.Message, "sent by flow") {
				t.Errorf("a flow reported in a template something else than what it sends: %s", d)
			}
		}
		if fl != nil && !l.HasErrors() {
			// A flow that validates is one the engine will run: its steps must be linked and indexed.
			for id, s := range fl.Index {
				if s.ID != id || s.Kind == "" {
					t.Errorf("step %q indexed as %+v", id, s)
				}
			}
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range fuzzTemplates {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var l diag.List
		var tpl *Template
		timed(t, func() { tpl = ParseTemplate("t.yaml", src, &l) })
		checkDiagnostics(t, "t.yaml", src, l.Items())
		if tpl != nil && !l.HasErrors() && (tpl.Name == "" || tpl.Content == nil) {
			t.Errorf("a template without errors has no name or content: %+v", tpl)
		}
	})
}
