package content

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/message"
)

// Each case is a template file; the diagnostic must land on the character it names.
func TestLiquidProblemsLandOnTheirCharacter(t *testing.T) {
	head := "default_locale: es\nlocales:\n  es:\n"
	cases := []struct {
		name      string
		body      string
		line, col int
		code, msg string
	}{
		{"unclosed output, plain", "    text: Hola {{ customer.first_name }\n", 4, 16, "template-syntax", "this {{ is never closed with }}"},
		{"unclosed tag, quoted", "    text: \"Hola {% if customer.first_name }\"\n", 4, 17, "template-syntax", "this {% is never closed with %}"},
		{"output closed only after another opens", "    text: \"{{ a {{ b }}\"\n", 4, 12, "template-syntax", "this {{ is never closed"},
		{"filter syntax, quoted", "    text: \"Hi {{ customer.first_name | }}\"\n", 4, 15, "template-syntax", `syntax error in "customer.first_name |"`},
		{"mismatched end, block", "    text: |\n      Hola\n\n      {% if a %}\n      x\n      {% endfor %}\n", 9, 7, "template-syntax", "endfor does not close the open if block; close that with endif first"},
		{"stray end, block", "    text: |\n      Hola\n        {% endif %}\n", 6, 9, "template-syntax", "endif closes no open block"},
		{"unterminated, folded", "    text: >\n      Hola\n      {% for i in (1..3) %}{{ i }}\n", 6, 7, "template-syntax", "the for block is never closed: add {% endfor %}"},
		{"unknown tag, accented line", "    text: \"¿Qué tal? {% unknowntag %}\"\n", 4, 22, "template-syntax", `undefined tag "unknowntag"`},
		{"unknown variable", "    text: \"Hola {{ custmer.first_name }}\"\n", 4, 20, "template-variable", `did you mean "customer"`},
		{"unknown filter", "    text: \"Total: {{ trigger.data.total | mony: 'PEN' }}\"\n", 4, 43, "template-filter", `unknown filter "mony" (did you mean "money"?)`},
		{"unknown filter in a tag, block", "    text: |\n      a\n      {% assign t = trigger.data.total | plus: 1 | dubble %}\n", 6, 52, "template-filter", `unknown filter "dubble"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := []byte(head + c.body)
			var l diag.List
			root, ok := yamlnode.Parse("t.yaml", src, &l)
			if !ok {
				t.Fatalf("parse: %v", l.Items())
			}
			_, dl := yamlnode.Get(root, "default_locale")
			_, locs := yamlnode.Get(root, "locales")
			Parse("t.yaml", src, message.SMS, dl, locs, root, &l)
			ds := l.Items()
			if len(ds) != 1 {
				t.Fatalf("want 1 diagnostic, got %v", ds)
			}
			d := ds[0]
			if d.Line != c.line || d.Col != c.col || d.Code != c.code || !strings.Contains(d.Message, c.msg) {
				t.Errorf("got %s; want %d:%d %s containing %q", d, c.line, c.col, c.code, c.msg)
			}
		})
	}
}

func TestGoodLiquidHasNoDiagnostics(t *testing.T) {
	for _, text := range []string{
		"Hola {{ customer.first_name | default: \"\" }}",
		"{% raw %}{{ not closed{% endraw %} {{ customer.first_name }}",
		"{% comment %} {{ draft ñandú {% endcomment %}ok",
		"{% for i in (1..3) %}{{ i }}{% endfor %}",
		"Precio: {{ trigger.data.total | money: \"PEN\" }} {}",
	} {
		src := []byte("default_locale: es\nlocales:\n  es:\n    text: '" + strings.ReplaceAll(text, "'", "''") + "'\n")
		var l diag.List
		root, _ := yamlnode.Parse("t.yaml", src, &l)
		_, dl := yamlnode.Get(root, "default_locale")
		_, locs := yamlnode.Get(root, "locales")
		Parse("t.yaml", src, message.SMS, dl, locs, root, &l)
		if l.Len() != 0 {
			t.Errorf("%q: %v", text, l.Items())
		}
	}
}

func TestUnknownVariableOffsetsAfterVerbatim(t *testing.T) {
	src := "{% raw %}ñandú{% endraw %}{{ custmer }}"
	got := UnknownVariables(src)
	if len(got) != 1 || got[0].Name != "custmer" || []rune(src)[got[0].Offset] != 'c' {
		t.Errorf("got %+v", got)
	}
}

func TestCustomerFieldsAndFilters(t *testing.T) {
	src := "Hola {{ customer.first_name }}, {{ 'customer.x' }} {% if customer.tier == 'gold' %}{{ trigger.data.total | money | upcase }}{% endif %}"
	var names []string
	for _, v := range CustomerFields(src) {
		names = append(names, v.Name)
		if got := string([]rune(src)[v.Offset : v.Offset+len(v.Name)]); got != v.Name {
			t.Errorf("offset of %s points at %q", v.Name, got)
		}
	}
	if strings.Join(names, ",") != "first_name,tier" {
		t.Errorf("customer fields %v", names)
	}
	var filters []string
	for _, v := range Filters(src) {
		filters = append(filters, v.Name)
	}
	if strings.Join(filters, ",") != "money,upcase" {
		t.Errorf("filters %v", filters)
	}
	if !KnownFilter("money") || !KnownFilter("upcase") || KnownFilter("mony") {
		t.Error("KnownFilter")
	}
}
