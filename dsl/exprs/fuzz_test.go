package exprs

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzExpr compiles arbitrary text as a step's condition. Compiling must return quickly, never
// panic, and locate every problem inside the source.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{
		"customer.orders_count > 1",
		`steps.subject-test.variant == "a"`,
		`"serum" in map(trigger.data.items ?? [], #.sku)`,
		"days_since(customer.last_order_at) >= 30 && has(customer.birthday)",
		"now() > trigger.time",
	} {
		f.Add(s)
	}
	scope := stepScope(map[string]*Type{"delivered": waitForOutputs, "subject-test": splitOutputs})
	f.Fuzz(func(t *testing.T, src string) {
		for _, want := range []Kind{Bool, Any} {
			start := time.Now()
			p, ps := Compile(src, scope, want)
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("compiling %q took %v", src, el)
			}
			if (p == nil) == (len(ps) == 0) {
				t.Fatalf("%q: program %v with problems %v", src, p != nil, ps)
			}
			n := utf8.RuneCountInString(src)
			for _, pr := range ps {
				if pr.Offset < 0 || pr.Offset > n || pr.Code == "" || pr.Message == "" {
					t.Errorf("%q: problem %+v outside the %d characters of the source", src, pr, n)
				}
			}
		}
	})
}
