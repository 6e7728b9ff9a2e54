package insighttest

import (
	"fmt"
	"strings"
	"testing"
)

// errors records what a check reports instead of failing the test.
type errors struct {
	testing.TB
	got []string
}

func (e *errors) Helper()                      {}
func (e *errors) Errorf(f string, args ...any) { e.got = append(e.got, fmt.Sprintf(f, args...)) }
func (e *errors) Fatalf(f string, args ...any) { e.got = append(e.got, fmt.Sprintf(f, args...)) }

const good = `{"period": {"from": "2025-01", "to": "2025-12", "timezone": "America/Lima", "currency": "PEN"},
 "months": [{"month": "2025-10", "buyers": 120, "returning_buyers": 41, "repeat_rate": 0.3417,
             "orders": 150, "revenue": "12345.60", "returning_revenue": "5120.00"}],
 "time_to_second_order": {"customers": 300, "median_days": 34.5, "p25_days": 20.0, "p75_days": 61.0},
 "cohorts": [{"cohort": "2025-01", "customers": 80, "retention": [1, 0.21, 0.15], "clv": ["45.10", "60.20", "71.00"]}],
 "flows": [{"flow": "win-back", "journeys": {"treatment": 360, "holdout": 40},
            "converted": {"treatment": 60, "holdout": 3}, "rate": {"treatment": 0.1667, "holdout": 0.075},
            "lift": {"absolute": 0.0917, "relative": 1.222, "ci95": [0.004, 0.151]},
            "revenue_per_journey": {"treatment": "12.30", "holdout": "5.10"},
            "messages": {"email": 300, "sms": 20}, "skipped": {"frequency": 12, "consent": 4}}],
 "nps": [{"month": "2025-10", "responses": 50, "promoters": 30, "passives": 10, "detractors": 10, "score": 40}]}`

// The contract's own example passes; each way of breaking it is caught, and says where.
func TestContract(t *testing.T) {
	e := &errors{TB: t}
	Contract(e, []byte(good))
	if len(e.got) > 0 {
		t.Fatalf("the contract's example fails: %v", e.got)
	}
	for _, c := range []struct{ from, to, says string }{
		{`"revenue": "12345.60"`, `"revenue": 12345.6`, "months[0].revenue"},
		{`"clv": ["45.10"`, `"clv": ["45.1"`, "cohorts[0].clv[0]"},
		{`"repeat_rate": 0.3417`, `"repeat_rate": 0.34166`, "months[0].repeat_rate"},
		{`"repeat_rate": 0.3417,`, ``, `"repeat_rate" missing`},
		{`"holdout": 40}`, `"holdout": 0}`, "flows[0].lift"},
		{`"ci95": [0.004, 0.151]`, `"ci95": [0.004]`, "flows[0].lift.ci95"},
		{`"ci95": [0.004, 0.151]`, `"ci95": {"lo": 0.004}`, "flows[0].lift.ci95"},
		{`"treatment": "12.30"`, `"treatment": "12.3"`, "flows[0].revenue_per_journey.treatment"},
		{`"buyers": 120`, `"buyers": "120"`, "months[0].buyers"},
		{`"nps": [`, `"nps": null, "x": [`, "nps"},
	} {
		doc := strings.Replace(good, c.from, c.to, 1)
		if doc == good {
			t.Fatalf("%q is not in the example", c.from)
		}
		e := &errors{TB: t}
		Contract(e, []byte(doc))
		if len(e.got) == 0 || !strings.Contains(strings.Join(e.got, "\n"), c.says) {
			t.Errorf("%s → %s: %v, want an error about %s", c.from, c.to, e.got, c.says)
		}
	}
	// Without a holdout, lift is null.
	e = &errors{TB: t}
	Contract(e, []byte(strings.Replace(strings.Replace(good, `"holdout": 40}`, `"holdout": 0}`, 1),
		`{"absolute": 0.0917, "relative": 1.222, "ci95": [0.004, 0.151]}`, "null", 1)))
	if len(e.got) > 0 {
		t.Errorf("a flow without a holdout and a null lift: %v", e.got)
	}
}
