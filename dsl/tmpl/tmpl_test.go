package tmpl

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/osteele/liquid"
)

func mustParse(t *testing.T, src string) *Template {
	t.Helper()
	tp, err := Parse(src)
	if err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return tp
}

func doublings(tag string, n int) string {
	return `{% assign s = "x" %}` + strings.Repeat(tag, n) + `{{ s | size }}`
}

// What breaks a bound whatever the data is found before any message is sent, where it is
// written.
func TestCheckFindsWhatBreaksABound(t *testing.T) {
	withoutClock(t)
	cases := []struct {
		name, src string
		offset    int
		msg       string
	}{
		{"a loop over a range of a hundred million", "Hola\n{% for i in (1..100000000) %}x{% endfor %}", 5, "this loop runs 100,000,000 rounds"},
		{"loops a thousand by a thousand", "{% for i in (1..1000) %}\n  {% for j in (1..1000) %}x{% endfor %}{% endfor %}", 27, "this loop runs 1,000 rounds, 1,000 times over in the loops around it"},
		// The 21st doubling makes 2 MiB; each is on a line of its own, after the first.
		{"a text doubled forty times", doublings("\n{% assign s = s | append: s %}", 40), 20 + 20*31 + 1, "append made a text longer than 1024 KiB"},
		{"a capture doubled forty times", doublings("{% capture s %}{{ s }}{{ s }}{% endcapture %}", 40), 0, "longer than 1024 KiB"},
		{"a range handed to a filter", `{% assign r = (1..100000000) %}{{ r | join: "," }}`, 31, "join was given a list of 100000000 items"},
		{"an empty text replaced", `{% assign s = "xxxxxxxxxx" %}{% for i in (1..6) %}{% assign s = s | replace: "", s %}{% endfor %}`, 0, "replace would make more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			ps := mustParse(t, c.src).Check(map[string]any{})
			if len(ps) != 1 || !strings.Contains(ps[0].Message, c.msg) || c.offset != 0 && ps[0].Offset != c.offset {
				t.Fatalf("%+v; want one problem at %d containing %q", ps, c.offset, c.msg)
			}
			t.Logf("%v: %s", time.Since(start), ps[0].Message)
		})
	}
	if ps := mustParse(t, `{% for i in (1..10) limit: 3 %}{% for j in (1..100000000) limit: 2 %}x{% endfor %}{% endfor %}`).Check(nil); len(ps) > 0 {
		t.Errorf("limits are counted: %v", ps)
	}
}

// What depends on the data stops at the first bound it breaks, in a moment and a few megabytes,
// with an error that says which bound and where.
func TestRenderStaysWithinItsBounds(t *testing.T) {
	withoutClock(t)
	long := strings.Repeat("x", 100_000)
	data := map[string]any{"n": 100_000_000, "s": long, "k": 1_000, "list": []any{"a", "b"}}
	cases := []struct{ name, src, msg string }{
		{"a loop over the data's range", "Hola\n{% for i in (1..data.n) %}{% endfor %}", "loops ran more than 100000 steps, each round counting the tags and texts inside its loop (line 2: {% for i in (1..data.n) %})"},
		{"a text doubled as often as the data says", `{% assign s = "x" %}{% for i in (1..data.k) %}{% assign s = s | append: s %}{% endfor %}`, "append made a text longer than 1024 KiB (line 1: {% assign s = s | append: s %})"},
		{"an output of a hundred megabytes", `{% for i in (1..1000) %}{{ data.s }}{% endfor %}`, "its text is longer than 1024 KiB"},
		{"a table of a hundred megabytes", `{% tablerow i in (1..1000) %}{{ data.s }}{% endtablerow %}`, "its text is longer than 1024 KiB"},
		{"an empty text replaced by a long one", `{{ data.s | replace: "", data.s }}`, "replace would make more than"},
		{"a list doubled", `{% assign l = data.list %}{% for i in (1..data.k) %}{% assign l = l | concat: l %}{% endfor %}{{ l | size }}`, "concat made a list of 16384 items; a filter makes at most 10000"},
		{"a list split into characters", `{{ data.s | append: data.s | split: "" | size }}`, "split would make more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp := mustParse(t, c.src)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := tp.Render(map[string]any{"data": data}, NewBudget())
			el := time.Since(start)
			runtime.ReadMemStats(&after)
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("%v; want a limit error containing %q", err, c.msg)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("allocated %d MB", alloc>>20)
			}
			t.Logf("%v, %d KB: %v", el, (after.TotalAlloc-before.TotalAlloc)>>10, err)
		})
	}
}

// The clock stops what the counted bounds let through: a loop within its steps whose every
// round reads a long text.
func TestRenderStopsAtItsTimeLimit(t *testing.T) {
	old := timeLimit
	timeLimit = 200 * time.Millisecond // the mechanism, sooner than the real limit
	t.Cleanup(func() { timeLimit = old })
	tp := mustParse(t, `{% for i in (1..15000) %}{% if data.s contains "y" %}y{% endif %}{% endfor %}`)
	start := time.Now()
	_, err := tp.Render(map[string]any{"data": map[string]any{"s": strings.Repeat("x", 4<<20)}}, NewBudget())
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "took longer than") {
		t.Fatalf("%v; want the time limit", err)
	}
	t.Logf("stopped after %v", time.Since(start))
}

// The fields of one message share its budget.
func TestFieldsShareTheBudget(t *testing.T) {
	tp := mustParse(t, `{{ data.s }}`)
	vars := map[string]any{"data": map[string]any{"s": strings.Repeat("x", 400<<10)}}
	b := NewBudget()
	for i := range 3 {
		_, err := tp.Render(vars, b)
		if (err != nil) != (i == 2) {
			t.Fatalf("field %d: %v", i, err)
		}
	}
	if _, err := tp.Render(vars, NewBudget()); err != nil {
		t.Fatalf("a new message starts afresh: %v", err)
	}
}

// A template cannot read the server's files.
func TestIncludeIsRefused(t *testing.T) {
	if _, err := Parse(`{% include "/etc/passwd" %}`); err == nil || !strings.Contains(err.Error(), "include is not available") {
		t.Fatalf("%v", err)
	}
}

// Within the bounds, a template renders exactly as Liquid renders it.
func TestRenderMatchesLiquid(t *testing.T) {
	srcs := []string{
		`Hola {{ customer.first_name | default: "cliente" | capitalize }}, {{ data.total | money: "PEN" }}`,
		`{% for item in trigger.data.items %}{{ forloop.index }}. {{ item.title | upcase }}{% cycle ", ", "; " %}{% endfor %}`,
		`{% for item in trigger.data.items reversed limit: 1 %}{{ item.title }}{% else %}none{% endfor %}`,
		`{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}`,
		`{% capture greeting %}Hola {{ customer.first_name }}{% endcapture %}{{ greeting | append: "!" | size }}{{ greeting }}`,
		`{% tablerow i in (1..4) cols: 2 %}{{ i }}{% endtablerow %}`,
		`{{ trigger.data.items | map: "title" | join: ", " }} {{ customer.tags | sort | uniq | join: "+" }} {{ "a-b" | replace: "-", "+" }}`,
		`{% assign n = trigger.data.items | size %}{% case n %}{% when 2 %}two{% else %}other{% endcase %}`,
		`{{ "<b>" | escape }} {{ "a b" | url_encode }} {{ "hello world" | truncate: 8 }} {{ trigger.data | json }}`,
		`{%- for i in (1..3) -%} {{ i }} {%- endfor -%}`,
	}
	vars := map[string]any{
		"customer": map[string]any{"first_name": "ana", "tags": []any{"vip", "es", "vip"}},
		"trigger":  map[string]any{"data": map[string]any{"items": []any{map[string]any{"title": "serum"}, map[string]any{"title": "crema"}}}},
		"data":     map[string]any{"total": 59.9},
	}
	plain := liquid.NewEngine()
	plain.RegisterFilter("money", moneyFilter)
	for _, src := range srcs {
		want, err := plain.ParseAndRenderString(src, vars)
		if err != nil {
			t.Fatalf("%q: liquid: %v", src, err)
		}
		got, rerr := mustParse(t, src).Render(vars, NewBudget())
		if rerr != nil || got != want {
			t.Errorf("%q:\n got %q (%v)\nwant %q", src, got, rerr, want)
		}
	}
	// Errors stay errors, not panics: an unknown filter, a failing one.
	for _, src := range []string{`{{ 1 | nosuchfilter }}`, `{{ 1 | divided_by: 0 }}`} {
		if _, err := mustParse(t, src).Render(nil, NewBudget()); err == nil || errors.Is(err, ErrLimit) {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// Renderings run side by side, each with its own budget. Run with -race.
func TestRenderConcurrently(t *testing.T) {
	withoutClock(t)
	tp := mustParse(t, `{% for i in (1..50) %}{{ i | plus: data.k | append: "," }}{% endfor %}`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				out, err := tp.Render(map[string]any{"data": map[string]any{"k": g}}, NewBudget())
				if err != nil || !strings.HasPrefix(out, fmt.Sprintf("%d,", 1+g)) {
					t.Errorf("%q %v", out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The bounds' cost on an ordinary email: compare with BenchmarkRenderUnbounded.
func BenchmarkRenderBounded(b *testing.B) {
	tp, _ := Parse(benchSrc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.Render(benchVars, NewBudget()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderUnbounded(b *testing.B) {
	e := liquid.NewEngine()
	e.RegisterFilter("money", moneyFilter)
	tp, _ := e.ParseString(benchSrc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tp.RenderString(benchVars); err != nil {
			b.Fatal(err)
		}
	}
}

var benchSrc = `Hola {{ customer.first_name | default: "cliente" }}, gracias por tu pedido {{ trigger.data.order_id }}.
{% for item in trigger.data.items %}- {{ item.title | upcase }}: {{ item.price | money: "PEN" }}
{% endfor %}Total: {{ trigger.data.total | money: "PEN" }}. {% if customer.orders_count > 1 %}¡Gracias por volver!{% endif %}`

var benchVars = map[string]any{
	"customer": map[string]any{"first_name": "Laura", "orders_count": 2},
	"trigger": map[string]any{"data": map[string]any{"order_id": "1001", "total": "59.90", "items": []any{
		map[string]any{"title": "serum", "price": "29.95"}, map[string]any{"title": "crema", "price": "29.95"}}}},
}

// withoutClock lifts the time limit for a test that checks a counted bound: under load or the
// race detector the clock could otherwise stop the evaluation first.
func withoutClock(t *testing.T) {
	old := timeLimit
	timeLimit = time.Hour
	t.Cleanup(func() { timeLimit = old })
}
