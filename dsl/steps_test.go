package dsl

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// A reference to steps.ID that is not available says why, at the ID.
func TestStepReferencesExplainWhy(t *testing.T) {
	head := "flow: f\ntrigger: {event: order.placed}\nsteps:\n"
	cases := []struct {
		name      string
		steps     string
		line, col int
		msg       string
	}{
		{"send step", "  - {id: thanks, send: {channel: email, content: {default_locale: es, locales: {es: {subject: a, text: b}}}}}\n  - {id: check, if: steps.thanks.opened, then: [{id: w, wait: 1d}]}\n",
			5, 27, "step thanks is a send step, which leaves nothing in steps"},
		{"later step", "  - {id: check, if: steps.arrived.timed_out, then: [{id: w, wait: 1d}]}\n  - {id: arrived, wait_for: {event: order.delivered, timeout: 3d}}\n",
			4, 27, "step arrived (line 5) comes after this one"},
		{"other branch", "  - id: check\n    if: customer.orders_count > 1\n    then:\n      - {id: arrived, wait_for: {event: order.delivered, timeout: 3d}}\n    else:\n      - {id: late, if: steps.arrived.timed_out, then: [{id: w, wait: 1d}]}\n",
			9, 30, "step arrived is in the then branch of step check (line 4), and this step is in its else branch"},
		{"other variant", "  - id: ab\n    split:\n      variants:\n        - {name: a, steps: [{id: arrived, wait_for: {event: order.delivered, timeout: 3d}}]}\n        - {name: b, steps: [{id: w, wait_until: {time: steps.arrived.event.time}}]}\n",
			8, 62, "variant a branch of step ab (line 4), and this step is in its variant b branch"},
		{"after the if", "  - id: check\n    if: customer.orders_count > 1\n    then:\n      - {id: arrived, wait_for: {event: order.delivered, timeout: 3d}}\n  - {id: late, if: steps.arrived.timed_out, then: [{id: w, wait: 1d}]}\n",
			8, 26, "step arrived runs only in the then branch of step check (line 4), so here it may not have run"},
		{"itself", "  - {id: arrived, wait_for: {event: order.delivered, when: 'steps.arrived.timed_out == false', timeout: 3d}}\n",
			4, 67, "step arrived cannot read its own result"},
		{"unknown id", "  - {id: arrived, wait_for: {event: order.delivered, timeout: 3d}}\n  - {id: late, if: steps.arived.timed_out, then: [{id: w, wait: 1d}]}\n",
			5, 26, `did you mean "arrived"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l diag.List
			ParseFlow("f.yaml", []byte(head+c.steps), nil, &l)
			var errs []diag.Diagnostic
			for _, d := range l.Items() {
				if d.Severity == diag.Error {
					errs = append(errs, d)
				}
			}
			if len(errs) != 1 {
				t.Fatalf("want 1 error, got %v", l.Items())
			}
			d := errs[0]
			if d.Line != c.line || d.Col != c.col || !strings.Contains(d.Message, c.msg) {
				t.Errorf("got %s; want %d:%d containing %q", d, c.line, c.col, c.msg)
			}
		})
	}
	// Where the step has certainly run, the reference is fine.
	var l diag.List
	ParseFlow("f.yaml", []byte(head+"  - {id: arrived, wait_for: {event: order.delivered, timeout: 3d}}\n  - {id: late, if: steps.arrived.timed_out, then: [{id: w, wait: 1d}]}\n"), nil, &l)
	if l.HasErrors() {
		t.Errorf("valid reference refused: %v", l.Items())
	}
}
