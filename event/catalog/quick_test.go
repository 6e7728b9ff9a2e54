package catalog

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"testing"
)

// values are what a field may be sent as, good and bad.
var values = []any{
	nil, true, false, "", "x", "59.90", "-3", "1.", ".5", "1e3", "abc", "PEN", "pen", "PENN", "email", "fax",
	"2025-10-14T15:00:00-05:00", "2025-10-14", json.Number("0"), json.Number("1"), json.Number("-1"),
	json.Number("1.0"), json.Number("1.5"), json.Number("10"), json.Number("11"), json.Number("1e2"),
	json.Number("820982911946154508"), 12.5, 3, []any{}, []any{"a"}, []any{map[string]any{"price": "1.00", "quantity": json.Number("2")}},
	[]any{map[string]any{"price": "abc"}}, []any{map[string]any{"quantity": json.Number("-1")}}, map[string]any{},
	map[string]any{"email": true}, map[string]any{"email": "yes"}, map[string]any{"sms": nil},
}

func TestQuickAgreesWithTheValidator(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for _, name := range Canonical().Types() {
		typ := Canonical().Lookup(name)
		if !typ.quick[0] {
			t.Fatalf("%s: quick cannot decide for a canonical schema", name)
		}
		props, _ := typ.Docs[0]["properties"].(map[string]any)
		var fields []string
		for f := range props {
			fields = append(fields, f)
		}
		base := typ.Docs[0]["examples"].([]any)[0].(map[string]any)
		for range 3000 {
			data := map[string]any{}
			for k, v := range base {
				data[k] = v
			}
			for range 1 + r.IntN(3) {
				f := fields[r.IntN(len(fields))]
				if r.IntN(8) == 0 {
					delete(data, f)
				} else {
					data[f] = values[r.IntN(len(values))]
				}
			}
			if r.IntN(4) == 0 {
				data["extra"] = values[r.IntN(len(values))]
			}
			fast := quick(typ.compiled[0], data)
			full := typ.compiled[0].Validate(data) == nil
			if fast != full {
				t.Fatalf("%s: quick says %v, the validator %v, for %#v", name, fast, full, data)
			}
			checked++
		}
	}
	t.Logf("%d values compared", checked)
}

func TestFastPatterns(t *testing.T) {
	texts := []string{"", "-", "1", "-1", "01", "1.", "1.5", "-1.50", ".5", "1..5", "1.5.5", "1e3", " 1", "1 ", "PEN", "pen", "PE", "PENN", "P3N", "ÀBC", "12a"}
	for pat, f := range fastPatterns {
		re := regexp.MustCompile(pat)
		for _, s := range texts {
			if f(s) != re.MatchString(s) {
				t.Errorf("%s on %q: fast %v, regexp %v", pat, s, f(s), re.MatchString(s))
			}
		}
	}
}
