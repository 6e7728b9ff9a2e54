package exprs

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// What is certain to break a bound is found when the expression is compiled, where it is written.
func TestCompileFindsWhatBreaksABound(t *testing.T) {
	withoutClock(t)
	scope := stepScope(nil)
	cases := []struct {
		src    string
		offset int
		msg    string
	}{
		// A text doubled forty times: a terabyte.
		{`len(reduce(1..40, #acc + #acc, "x")) > 0`, 23, "builds more than 1024 KiB"},
		// A list that holds the same list twice, forty levels deep: small in memory, a terabyte
		// to print or compare.
		{`len(toJSON(reduce(1..40, [#acc, #acc], [1]))) > 0`, 25, "builds more than"},
		{`len(repeat(repeat("x", 1000), 1000000)) > 0`, 4, "builds more than"},
		{`len(join(map(1..1000, "x"), repeat("-", 100000))) > 0`, 4, "builds more than"},
		{`all(1..100000000, # > 0)`, 4, "this range holds 100000000 numbers"},
		{`customer.orders_count > 1 && any(1..1000, all(1..1000, # > 0))`, 42, "these loops run 1000000 rounds together"},
		{`let r = 1..400; all(r, all(r, # > 0))`, 0, "loops run more than 100000 rounds"},
		{`len(1..99999) + len(1..99999) > 0`, 0, "builds more than 100000 values"},
	}
	for _, c := range cases {
		start := time.Now()
		p, ps := Compile(c.src, scope, Bool)
		el := time.Since(start)
		if p != nil || len(ps) != 1 {
			t.Errorf("%q: %v %v; want one problem", c.src, p, ps)
			continue
		}
		if ps[0].Code != "expr-limit" || !strings.Contains(ps[0].Message, c.msg) || c.offset != 0 && ps[0].Offset != c.offset {
			t.Errorf("%q: %+v; want expr-limit at %d containing %q", c.src, ps[0], c.offset, c.msg)
		}
		t.Logf("%-70s %v", c.src, el)
	}
}

// What depends on the data stops at run time with an error that says which bound, in a moment
// and a few megabytes, and the next evaluation starts afresh.
func TestEvaluationStaysWithinItsBounds(t *testing.T) {
	withoutClock(t)
	scope := stepScope(nil)
	tags := make([]any, 100)
	for i := range tags {
		tags[i] = "t"
	}
	long := strings.Repeat("x", 100_000)
	cases := []struct{ src, msg string }{
		{`len(reduce(customer.tags, #acc + #acc, "x")) > 0`, "builds more than"},
		{`len(replace(customer.first_name, "", customer.first_name)) > 0`, "builds more than"},
		{`len(string(reduce(customer.tags, [#acc, #acc, #acc], [customer.first_name]))) > 0`, "builds more than"},
		{`all(customer.tags, all(customer.tags, all(customer.tags, # == "t")))`, "loops run more than 100000 rounds"},
		{`len(map(customer.tags, customer.first_name)) > 0`, "builds more than"},
		{`len(concat(customer.tags, customer.tags, customer.tags) | map(upper(customer.first_name))) > 0`, "builds more than"},
	}
	for _, c := range cases {
		p, ps := Compile(c.src, scope, Bool)
		if len(ps) > 0 {
			t.Fatalf("%q: %v", c.src, ps)
		}
		vars := Vars{"customer": map[string]any{"tags": tags, "first_name": long}, "now": time.Now()}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := p.Eval(vars)
		el := time.Since(start)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: %v; want a limit error containing %q", c.src, err, c.msg)
		}
		if _, ok := vars[budgetName]; ok {
			t.Errorf("%q: the evaluation left its budget in the variables", c.src)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%q: allocated %d MB", c.src, alloc>>20)
		}
		t.Logf("%-90s %v %d KB", c.src, el, (after.TotalAlloc-before.TotalAlloc)>>10)
	}
	// Bounds are per evaluation: a program that stopped once runs again.
	p, _ := Compile(`len(reduce(customer.tags, #acc + "x", "")) == 100`, scope, Bool)
	for range 3 {
		if ok, err := p.Bool(Vars{"customer": map[string]any{"tags": tags}}); !ok || err != nil {
			t.Fatalf("= %v, %v", ok, err)
		}
	}
}

// The clock stops what the counted bounds let through: here, loops that each make a long text,
// far under the rounds allowed but each of them slow.
func TestEvaluationStopsAtItsTimeLimit(t *testing.T) {
	old := timeLimit
	timeLimit = 200 * time.Millisecond // the mechanism, sooner than the real limit
	t.Cleanup(func() { timeLimit = old })
	p, ps := Compile(`all(customer.tags, not (customer.first_name contains "y"))`, stepScope(nil), Bool)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	tags := make([]any, 50_000)
	for i := range tags {
		tags[i] = "t"
	}
	start := time.Now()
	_, err := p.Eval(Vars{"customer": map[string]any{"tags": tags, "first_name": strings.Repeat("x", 1<<20)}})
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "runs longer than") {
		t.Errorf("%v; want the time limit", err)
	}
	t.Logf("stopped after %v", time.Since(start))
}

// The counting leaves ordinary expressions as they were.
func TestBoundsKeepOrdinaryResults(t *testing.T) {
	scope := stepScope(nil)
	vars := Vars{"customer": map[string]any{"tags": []any{"vip", "es"}, "first_name": "Ana", "orders_count": 2}, "now": time.Now()}
	cases := []struct {
		src  string
		want any
	}{
		{`customer.first_name + " " + "Pérez"`, "Ana Pérez"},
		{`customer.orders_count + 1`, 3},
		{`now + days(1) > now`, true},
		{`join(map(customer.tags, upper(#)), ",")`, "VIP,ES"},
		{`reduce(customer.tags, #acc + len(#), 0)`, 5},
		{`[customer.first_name, "x"][0]`, "Ana"},
		{`{"a": customer.first_name}.a`, "Ana"},
		{`repeat("ab", 2) + replace("a-b", "-", "+") + string(1)`, "abab" + "a+b" + "1"},
		{`"vip" in customer.tags && customer.first_name in ["Ana", "Eva"]`, true},
		{`toJSON([1]) != ""`, true},
	}
	for _, c := range cases {
		p, ps := Compile(c.src, scope, Any)
		if len(ps) > 0 {
			t.Fatalf("%q: %v", c.src, ps)
		}
		got, err := p.Eval(vars)
		if err != nil || got != c.want {
			t.Errorf("%q = %#v (%v), want %#v", c.src, got, err, c.want)
		}
	}
}

// The bounds' cost on an ordinary condition: compare with the same benchmark on a build without
// them.
func BenchmarkEvalCondition(b *testing.B) {
	p, ps := Compile(`customer.orders_count >= 1 && customer.first_name != "" && "vip" in customer.tags`, stepScope(nil), Bool)
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	v := Vars{"customer": map[string]any{"orders_count": 2, "first_name": "Ana", "tags": []any{"vip"}}, "now": time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := p.Bool(v); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// withoutClock lifts the time limit for a test that checks a counted bound: under load or the
// race detector the clock could otherwise stop the evaluation first.
func withoutClock(t *testing.T) {
	old := timeLimit
	timeLimit = time.Hour
	t.Cleanup(func() { timeLimit = old })
}
