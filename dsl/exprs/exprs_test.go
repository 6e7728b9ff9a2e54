package exprs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// What wait_for and split steps leave in steps.ID (the flow language declares them with its step kinds).
var (
	waitForOutputs = MapOf(map[string]*Type{"event": EventType, "timed_out": BoolT})
	splitOutputs   = MapOf(map[string]*Type{"variant": StringT})
)

func stepScope(steps map[string]*Type) Scope {
	names := map[string]*Type{
		"trigger": EventType, "customer": CustomerType(map[string]*Type{"birthday": TimeT, "loyalty_points": IntT,
			"tier": {Kind: String, Enum: []string{"bronze", "silver", "gold"}}}),
		"journey": JourneyType, "now": TimeT, "steps": MapOf(steps),
	}
	return NewScope(names, func(n string) string {
		if n == "event" {
			return "`event` is not defined in a step; use trigger"
		}
		return ""
	})
}

func TestCompileProblems(t *testing.T) {
	scope := stepScope(map[string]*Type{"delivered": waitForOutputs})
	cases := []struct {
		src    string
		want   Kind
		code   string
		offset int
		msg    string
	}{
		{"customer.order_count > 1", Bool, "expr-field", 9, `did you mean "orders_count"`},
		{"customer.shoe_size > 40", Bool, "expr-field", 9, "customer schema"},
		{"event.data.total > 0", Bool, "expr-scope", 0, "not defined in a step"},
		{"cusomer.orders_count > 1", Bool, "expr-name", 0, `did you mean "customer"`},
		{"steps.deliverd.timed_out", Bool, "expr-field", 6, `did you mean "delivered"`},
		{"steps.delivered.timeout", Bool, "expr-field", 16, `did you mean "timed_out"`},
		{"customer.orders_count +", Bool, "expr-syntax", 22, "stops short"},
		{"customer.orders_count", Bool, "expr-type", 0, "must give a boolean"},
		{"customer.first_name + 1", Any, "expr-type", 20, "+ cannot be used between text and an integer"},
		// Syntax errors point at their cause, in the words of the flow language.
		{"(customer.orders_count > 1 && customer.total_spent > 10", Bool, "expr-syntax", 0, "this ( is never closed"},
		{"customer.orders_count in [1, (2)", Bool, "expr-syntax", 25, "this [ is never closed"},
		{"customer.first_name == \"Ana", Bool, "expr-syntax", 23, "never closed with its quote"},
		{"customer.orders_count = 2", Bool, "expr-syntax", 22, "write =="},
		{"customer.orders_count > 0 &&& true", Bool, "expr-syntax", 28, `unexpected "&"`},
		{"customer.tags contains \"vip\"", Bool, "expr-type", 14, `to look for a value in a list, write "x" in list`},
		{"days(\"3\") > now", Bool, "expr-type", 5, "days takes an integer, not text"},
		{"customer.first_name ? 1 : 2", Any, "expr-type", 9, "a condition must be a boolean, not text"},
		{"trigger.time > \"2025\"", Bool, "expr-type", 13, "> cannot be used between a time and text"},
		{"gold", Any, "expr-name", 0, `if you meant the text "gold", quote it inside the YAML value: '"gold"'`},
		{"https://shop.example/nps", Any, "expr-syntax", 0, `for the text itself, quote it inside the YAML value: '"https://shop.example/nps"'`},
		{"Gracias por todo", Any, "expr-syntax", 0, `quote it inside the YAML value: '"Gracias por todo"'`},
		{"trigger.order_id == \"1\"", Bool, "expr-field", 8, "an event's own fields are under data, like trigger.data.order_id"},
		{"customer.tier == \"glod\"", Bool, "expr-value", 17, `customer.tier is one of bronze, silver, gold, never "glod" (did you mean "gold"?)`},
		{"\"platinum\" != customer.tier", Bool, "expr-value", 0, `never "platinum"`},
		{"customer.tier in [\"gold\", \"silvr\"]", Bool, "expr-value", 26, `(did you mean "silver"?)`},
		{"customer.birthday", Bool, "expr-type", 0, "must give a boolean"},
		{"days_since(customer.last_order_at, 3) > 1", Bool, "expr-type", 0, "takes one time"},
		{"dayz_since(customer.last_order_at) > 1", Bool, "expr-name", 0, `did you mean "days_since"`},
		{"now() > customer.created_at", Bool, "expr-type", 0, "without parentheses"},
		{"   ", Bool, "expr-syntax", 0, "empty"},
	}
	for _, c := range cases {
		p, ps := Compile(c.src, scope, c.want)
		if p != nil || len(ps) == 0 {
			t.Errorf("%q compiled; want %s", c.src, c.code)
			continue
		}
		if ps[0].Code != c.code || ps[0].Offset != c.offset || !strings.Contains(ps[0].Message, c.msg) {
			t.Errorf("%q: got %+v; want code %s offset %d containing %q", c.src, ps[0], c.code, c.offset, c.msg)
		}
	}
}

func TestCompileAndRun(t *testing.T) {
	scope := stepScope(map[string]*Type{"pick": splitOutputs})
	now := time.Date(2025, 11, 23, 10, 0, 0, 0, time.UTC)
	vars := Vars{
		"now":      now,
		"trigger":  map[string]any{"time": now.Add(-72 * time.Hour), "data": Plain(map[string]any{"total": json.Number("59.90"), "items": []any{map[string]any{"sku": "A"}}})},
		"customer": Convert(map[string]any{"orders_count": json.Number("3"), "last_order_at": "2025-10-01T00:00:00Z", "birthday": "1990-11-26", "consent": map[string]any{"email": true}}, CustomerType(map[string]*Type{"birthday": TimeT, "loyalty_points": IntT})),
		"steps":    map[string]any{"pick": map[string]any{"variant": "b"}},
		"journey":  map[string]any{"id": "j"},
	}
	cases := []struct {
		src  string
		want any
	}{
		{"customer.orders_count >= 3 && customer.consent.email == true", true},
		{"trigger.data.total > 50", true},
		{"days_since(customer.last_order_at)", 53},
		{"days_until(date(\"2025-11-26\"))", 2},
		{"hours_since(trigger.time)", 72},
		{"trigger.time + days(3) <= now", true},
		{"has(customer.loyalty_points)", false},
		{"has(customer.birthday)", true},
		{"steps.pick.variant == \"b\"", true},
		{"customer.consent.sms == true", false},
		{"any(trigger.data.items, .sku == \"A\")", true},
	}
	for _, c := range cases {
		p, ps := Compile(c.src, scope, Any)
		if len(ps) > 0 {
			t.Fatalf("%q: %v", c.src, ps)
		}
		got, err := p.Eval(vars)
		if err != nil || got != c.want {
			t.Errorf("%q = %v (%v), want %v", c.src, got, err, c.want)
		}
	}
	p, _ := Compile("customer.birthday", scope, Time)
	if tm, err := p.Time(vars); err != nil || tm.Day() != 26 {
		t.Errorf("Time = %v %v", tm, err)
	}
	// A condition on an unset attribute is false, not an error.
	p, _ = Compile("customer.loyalty_points > 10", scope, Bool)
	if b, _ := p.Bool(vars); b {
		t.Errorf("unset attribute matched")
	}
}

func TestFromJSONSchema(t *testing.T) {
	var s map[string]any
	json.Unmarshal([]byte(`{"properties":{"birthday":{"type":"string","format":"date"},"points":{"type":["integer","null"]},"tier":{"type":"string"},"prefs":{"type":"object","properties":{"a":{"type":"boolean"}},"additionalProperties":false}}}`), &s)
	ts := FromJSONSchema(s)
	if ts["birthday"].Kind != Time || ts["points"].Kind != Int || ts["tier"].Kind != String || ts["prefs"].Open || ts["prefs"].Fields["a"].Kind != Bool {
		t.Fatalf("got %+v", ts)
	}
}

func TestUnsetComparisonIsFalseWithoutError(t *testing.T) {
	scope := stepScope(nil)
	for _, src := range []string{"customer.loyalty_points > 10", "customer.birthday < now", "days_since(customer.last_order_at) > 30"} {
		p, ps := Compile(src, scope, Bool)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		b, err := p.Bool(Vars{"customer": map[string]any{}, "now": time.Now()})
		if b || err != nil {
			t.Errorf("%q on an unset attribute = %v, %v; want false, nil", src, b, err)
		}
	}
}

// Step ids are kebab-case, so steps.subject-test must mean that step, not steps.subject - test.
func TestDashedStepIDs(t *testing.T) {
	scope := stepScope(map[string]*Type{"subject-test": splitOutputs, "arrived-late": waitForOutputs})
	for _, src := range []string{
		`steps.subject-test.variant == "short"`,
		`steps.arrived-late.timed_out && "steps.x-y" != ""`,
		`steps["subject-test"].variant == 'long'`,
		`(steps.subject-test.variant) in ["a", "b"]`,
	} {
		if _, ps := Compile(src, scope, Bool); len(ps) > 0 {
			t.Errorf("%s: %v", src, ps)
		}
	}
	cases := []struct {
		src    string
		code   string
		offset int
		msg    string
	}{
		// Problems are located in the source as written, not in the rewritten one.
		{`steps.subject-tset.variant == "a"`, "expr-field", 6, `steps has no field "subject-tset" (did you mean "subject-test"?)`},
		{`steps.subject-test.varaint == "a"`, "expr-field", 19, `did you mean "variant"`},
		{`steps.subject-test.variant == "a" &&`, "expr-syntax", 35, "stops short"},
		{`steps.arrived-late.timed_out && (customer.orders_count > 1`, "expr-syntax", 32, "this ( is never closed"},
	}
	for _, c := range cases {
		_, ps := Compile(c.src, scope, Bool)
		if len(ps) == 0 || ps[0].Code != c.code || ps[0].Offset != c.offset || !strings.Contains(ps[0].Message, c.msg) {
			t.Errorf("%q: got %+v; want %s at %d containing %q", c.src, ps, c.code, c.offset, c.msg)
		}
	}
	if got, _ := quoteDashedSteps("mysteps.a-b + steps.c - 1"); got != "mysteps.a-b + steps.c - 1" {
		t.Errorf("rewrote %q", got)
	}
}

func TestUnsetDeclaredAttributeComparesAsUnset(t *testing.T) {
	scope := NewScope(map[string]*Type{"customer": CustomerType(map[string]*Type{"tier": StringT, "points": IntT}), "now": TimeT}, nil)
	cases := map[string]bool{
		`customer.tier != "gold"`:                               true,
		`customer.tier == "gold"`:                               false,
		`customer.points >= 20`:                                 false,
		`customer.tier != "gold" && customer.orders_count >= 0`: true,
	}
	for src, want := range cases {
		p, ps := Compile(src, scope, Bool)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		got, err := p.Bool(Vars{"customer": map[string]any{"orders_count": 1}, "now": time.Now()})
		if err != nil || got != want {
			t.Errorf("%s on a customer without the attribute = %v (%v), want %v", src, got, err, want)
		}
	}
}

// Compilations share one configuration's tables; they must not write to them. Run with -race.
func TestCompileConcurrently(t *testing.T) {
	scope := stepScope(map[string]*Type{"delivered": waitForOutputs})
	srcs := []string{
		"customer.orders_count > 1", "days_since(customer.last_order_at) >= 30", `customer.tier == "gold"`,
		"steps.delivered.timed_out", "customer.birthday < now + days(3)", "len(customer.tags) > 0 && has(customer.email)",
		"customer.first_name + 1",
	}
	want := make([]string, len(srcs))
	for i, s := range srcs {
		_, ps := Compile(s, scope, Bool)
		want[i] = fmt.Sprint(ps)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 50 {
				i := (g + k) % len(srcs)
				p, ps := Compile(srcs[i], scope, Bool)
				if got := fmt.Sprint(ps); got != want[i] {
					t.Errorf("%q: %s, alone %s", srcs[i], got, want[i])
				}
				if p != nil {
					if _, err := p.Bool(Vars{"customer": map[string]any{}, "now": time.Now(), "steps": map[string]any{}}); err != nil && !strings.Contains(err.Error(), "nil") {
						t.Errorf("%q: %v", srcs[i], err)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkCompile(b *testing.B) {
	scope := stepScope(map[string]*Type{"delivered": waitForOutputs})
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := Compile("steps.delivered.timed_out == false && customer.orders_count >= 1", scope, Bool); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}

// A type is converted for expr once, and the conversion lives on the type: a step's scope makes
// new types on every compilation, and a cache beside them would grow with every reload.
func TestTypeConversionLivesOnTheType(t *testing.T) {
	ty := MapOf(map[string]*Type{"a": IntT, "b": ListOf(StringT)})
	first, second := ty.cachedExprType(), ty.cachedExprType()
	if reflect.ValueOf(first).Pointer() != reflect.ValueOf(second).Pointer() {
		t.Error("converted twice")
	}
	if other := MapOf(ty.Fields).cachedExprType(); reflect.ValueOf(other).Pointer() == reflect.ValueOf(first).Pointer() {
		t.Error("another type got this one's conversion")
	}
}
