package dsl

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// What is certain to break the bounds of rendering or evaluation is an error in validate, at the
// line and column where it is written, found in a moment.
func TestValidateFindsWhatBreaksTheBounds(t *testing.T) {
	tpl := "template: t\nchannel: sms\ndefault_locale: es\nlocales:\n  es:\n    text: |\n"
	flow := "flow: f\ntrigger:\n  event: order.placed\n"
	cases := []struct {
		name, kind, src string
		want            string // line:col code text
	}{
		{"a loop over a range of a hundred million", "template", tpl + "      Hola\n      {% for i in (1..100000000) %}x{% endfor %}\n",
			"8:7 template-limit this loop runs 100,000,000 rounds"},
		{"a text doubled forty times", "template", tpl + "      {% assign s = \"x\" %}\n" + strings.Repeat("      {% assign s = s | append: s %}\n", 40) + "      {{ s }}\n",
			"28:7 template-limit append made a text longer than 1024 KiB"},
		{"an expression doubling a text forty times", "flow", flow + "  when: 'len(reduce(1..40, #acc + #acc, \"x\")) > 0'\nsteps: [{id: a, wait: 1d}]\n",
			"4:33 expr-limit it builds more than 1024 KiB"},
		{"an expression over a range of a hundred million", "flow", flow + "steps:\n  - id: a\n    if: 'any(1..100000000, # == 7)'\n    then: [{id: b, wait: 1d}]\n",
			"6:14 expr-limit this range holds 100000000 numbers"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l diag.List
			if c.kind == "flow" {
				ParseFlow("f.yaml", []byte(c.src), nil, &l)
			} else {
				ParseTemplate("t.yaml", []byte(c.src), &l)
			}
			got := l.Items()
			parts := strings.SplitN(c.want, " ", 3)
			if len(got) != 1 || itoa2(got[0].Line, got[0].Col) != parts[0] || got[0].Code != parts[1] || got[0].Severity != diag.Error || !strings.Contains(got[0].Message, parts[2]) {
				t.Fatalf("got %v; want %s", got, c.want)
			}
		})
	}
}
