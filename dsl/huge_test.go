package dsl

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// Huge or pathological files must cost time and memory in proportion to their size, and end with
// a clear diagnostic. Each of these took minutes, or gigabytes, before it was bounded.
func TestHugeInputsStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds files of megabytes")
	}
	flowHead := "flow: huge\ntrigger:\n  event: order.placed\n"
	var steps, refs strings.Builder
	for i := range 60_000 {
		fmt.Fprintf(&steps, "  - id: s%d\n    wait: 1d\n", i)
	}
	for i := range 30_000 {
		fmt.Fprintf(&refs, "      {{ custmer%d }} ñ {{ customer.x%d | upcas%d }}\n", i, i, i)
	}
	cases := []struct {
		name, kind, src, code string
	}{
		{"10 MB flow", "flow", flowHead + "description: " + strings.Repeat("x", 10<<20) + "\nsteps: []\n", "file-size"},
		{"60,000 steps", "flow", flowHead + "steps:\n" + steps.String(), "yaml-size"},
		{"100,000-element list", "flow", flowHead + "tags: [" + strings.Repeat("t, ", 100_000) + "t]\nsteps: []\n", "yaml-size"},
		{"deep nesting", "flow", flowHead + "steps: " + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + "\n", "yaml-syntax"},
		{"deep block nesting", "flow", flowHead + "x:\n" + func() string {
			var b strings.Builder
			for i := range 1000 {
				b.WriteString(strings.Repeat(" ", i+1) + "a:\n")
			}
			return b.String()
		}(), "yaml-depth"},
		{"huge expression", "flow", flowHead + "  when: " + strings.Repeat("customer.orders_count > 1 && ", 30_000) + "true\nsteps: []\n", "expr-syntax"},
		{"a template of 30,000 distinct mistakes", "template",
			"template: huge\nchannel: sms\ndefault_locale: es\nlocales:\n  es:\n    text: |\n" + refs.String(), "template-filter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			var l diag.List
			if c.kind == "flow" {
				ParseFlow("f.yaml", []byte(c.src), nil, &l)
			} else {
				ParseTemplate("t.yaml", []byte(c.src), &l)
			}
			runtime.ReadMemStats(&after)
			// Under the race detector far more escapes to the heap (the template case allocates
			// eight times as much), so the budget holds only in a normal build.
			if alloc := after.TotalAlloc - before.TotalAlloc; !raceEnabled && alloc > 1<<30 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			ds := l.Items()
			found := false
			for _, d := range ds {
				found = found || d.Code == c.code
			}
			if !found || len(ds) > 40 {
				t.Errorf("want a %s diagnostic among a few; got %d, first %v", c.code, len(ds), ds[:min(len(ds), 3)])
			}
		})
	}
}
