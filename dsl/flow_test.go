package dsl

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
)

// Each flow has one mistake; the diagnostics must be exactly these.
func TestFlowDiagnostics(t *testing.T) {
	declared := exprs.CustomerType(map[string]*exprs.Type{"tier": {Kind: exprs.String, Enum: []string{"bronze", "silver", "gold"}}})
	head := "flow: f\ntrigger: {event: order.placed}\nsteps:\n"
	email := "{default_locale: es, locales: {es: {subject: Hola, text: %s}}}"
	cases := []struct {
		name     string
		src      string
		customer *exprs.Type
		want     []string // line:col severity code text
	}{
		{"event type of the wrong form: one error, no near-miss warning", "flow: f\ntrigger: {event: Order.Placed}\nsteps: [{id: a, wait: 1d}]\n", nil,
			[]string{"2:18 error event-type not an event type"}},
		{"event type near miss: a warning", "flow: f\ntrigger: {event: order.place}\nsteps: [{id: a, wait: 1d}]\n", nil,
			[]string{`2:18 warning event-type did you mean "order.placed"`}},
		{"set an enum attribute to a text it cannot take", head + "  - {id: a, update: {set: {tier: '\"platinum\"'}}}\n", declared,
			[]string{`4:34 error update-attr tier is one of bronze, silver, gold, never "platinum"`}},
		{"inline content reads an undeclared attribute", head + "  - {id: a, send: {channel: email, content: " + strings.ReplaceAll(email, "%s", `"{{ customer.tire }} {{ unsubscribe_url }}"`) + "}}\n", declared,
			[]string{`4:115 error template-field customer has no field "tire" (did you mean "tier"?)`}},
		{"without a schema, a near miss of a built-in field warns", head + "  - {id: a, send: {channel: email, content: " + strings.ReplaceAll(email, "%s", `"{{ customer.firstname }} {{ customer.shoe_size }} {{ unsubscribe_url }}"`) + "}}\n", nil,
			[]string{`4:115 warning template-field did you mean "first_name"`}},
		{"a bad flow id gets no file-name warning", "flow: Bad_Id\ntrigger: {event: order.placed}\nsteps: [{id: a, wait: 1d}]\n", nil,
			[]string{"1:7 error id-format not a valid id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l diag.List
			ParseFlow("f.yaml", []byte(c.src), &Context{Customer: c.customer}, &l)
			got := l.Items()
			if len(got) != len(c.want) {
				t.Fatalf("got %v; want %v", got, c.want)
			}
			for i, w := range c.want {
				parts := strings.SplitN(w, " ", 4)
				d := got[i]
				if pos := itoa2(d.Line, d.Col); pos != parts[0] || string(d.Severity) != parts[1] || d.Code != parts[2] || !strings.Contains(d.Message, parts[3]) {
					t.Errorf("got %s; want %s", d, w)
				}
			}
		})
	}
}

func TestFlowPriority(t *testing.T) {
	for _, c := range []struct {
		line string
		want Priority
		diag string // the one diagnostic expected, as line:col code
	}{
		{"", PriorityNormal, ""},
		{"priority: high\n", PriorityHigh, ""},
		{"priority: normal\n", PriorityNormal, ""},
		{"priority: low\n", PriorityLow, ""},
		{"priority: urgent\n", PriorityNormal, "2:11 invalid-value"},
	} {
		var l diag.List
		f := ParseFlow("f.yaml", []byte("flow: f\n"+c.line+"trigger: {event: order.placed}\nsteps: [{id: a, wait: 1d}]\n"), nil, &l)
		if f.Priority != c.want {
			t.Errorf("%q: priority %s, want %s", c.line, f.Priority, c.want)
		}
		var got string
		for _, d := range l.Items() {
			got = itoa2(d.Line, d.Col) + " " + d.Code
		}
		if len(l.Items()) > 1 || got != c.diag {
			t.Errorf("%q: diagnostics %v, want %q", c.line, l.Items(), c.diag)
		}
	}
}
