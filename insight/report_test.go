package insight

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func oneMonth() Query {
	m := Month{2025, time.October}
	return Query{From: m, To: m, Location: time.UTC, Currency: "PEN", Window: DefaultWindow}
}

func flowOf(t *testing.T, s *FlowSums) Flow {
	t.Helper()
	r := Build(oneMonth(), &Aggregates{Flows: map[string]*FlowSums{"f": s}})
	if len(r.Flows) != 1 {
		t.Fatalf("flows: %+v", r.Flows)
	}
	return r.Flows[0]
}

func f64(v float64) *float64 { return &v }

func eqRate(t *testing.T, what string, got, want *float64) {
	t.Helper()
	if (got == nil) != (want == nil) || got != nil && *got != *want {
		g, w := "null", "null"
		if got != nil {
			g = strings.TrimRight(strings.TrimRight(decimal.NewFromFloat(*got).String(), "0"), ".")
		}
		if want != nil {
			w = decimal.NewFromFloat(*want).String()
		}
		t.Errorf("%s: %s, want %s", what, g, w)
	}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// 60 of 360 reached customers converted against 3 of 40 in the holdout: rates 1/6 and 0.075,
// lift 0.0917, relative 0.0917/0.075 = 1.2222, and the interval of Newcombe's method.
func TestFlowWithHoldout(t *testing.T) {
	f := flowOf(t, &FlowSums{Journeys: [2]int64{360, 40}, Converted: [2]int64{60, 3}, Revenue: [2]decimal.Decimal{dec("4428"), dec("204")}, Goal: true})
	eqRate(t, "treatment rate", f.Rate.Treatment, f64(0.1667))
	eqRate(t, "holdout rate", f.Rate.Holdout, f64(0.075))
	if f.Lift == nil || f.Lift.Absolute != 0.0917 || f.Lift.CI95 != [2]float64{-0.0368, 0.1563} {
		t.Fatalf("lift %+v, want 0.0917 within [-0.0368, 0.1563]", f.Lift)
	}
	eqRate(t, "relative lift", f.Lift.Relative, f64(1.2222))
	if f.ConvertsOn != "goal" || f.RevenuePerJourney.Treatment.StringFixed(2) != "12.30" || f.RevenuePerJourney.Holdout.StringFixed(2) != "5.10" {
		t.Errorf("converts on %s, revenue per journey %v / %v; want goal, 12.30 and 5.10", f.ConvertsOn, f.RevenuePerJourney.Treatment, f.RevenuePerJourney.Holdout)
	}
}

// A flow without a holdout has no lift, and no holdout figures; a flow without a goal converts on orders.
func TestFlowWithoutHoldoutOrGoal(t *testing.T) {
	f := flowOf(t, &FlowSums{Journeys: [2]int64{7, 0}, Converted: [2]int64{2, 0}, Revenue: [2]decimal.Decimal{dec("10"), decimal.Zero}})
	if f.Lift != nil || f.Rate.Holdout != nil || f.RevenuePerJourney.Holdout != nil {
		t.Errorf("without a holdout: lift %+v, holdout rate %v, holdout revenue %v; want all null", f.Lift, f.Rate.Holdout, f.RevenuePerJourney.Holdout)
	}
	eqRate(t, "rate", f.Rate.Treatment, f64(0.2857))
	if f.ConvertsOn != "order" || f.RevenuePerJourney.Treatment.StringFixed(2) != "1.43" {
		t.Errorf("converts on %q, revenue per journey %v; want order and 1.43", f.ConvertsOn, f.RevenuePerJourney.Treatment)
	}
	var b bytes.Buffer
	if err := Build(oneMonth(), &Aggregates{Flows: map[string]*FlowSums{"f": {Journeys: [2]int64{7, 0}}}}).WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"lift": null`, `"holdout": null`, `"messages": {}`, `"skipped": {}`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}

// An arm without journeys has no rate, and the lift needs both.
func TestFlowWithAnEmptyArm(t *testing.T) {
	f := flowOf(t, &FlowSums{Journeys: [2]int64{0, 5}, Converted: [2]int64{0, 1}})
	if f.Rate.Treatment != nil || f.Lift != nil || f.RevenuePerJourney.Treatment != nil {
		t.Errorf("no treatment: rate %v, lift %+v, revenue %v; want null", f.Rate.Treatment, f.Lift, f.RevenuePerJourney.Treatment)
	}
	eqRate(t, "holdout rate", f.Rate.Holdout, f64(0.2))
	f = flowOf(t, &FlowSums{})
	if f.Rate.Treatment != nil || f.Rate.Holdout != nil || f.Lift != nil {
		t.Errorf("no journeys at all: %+v", f)
	}
}

// Rates of 0 and 100%: the lift is whole, its relative size unknown (nothing to compare to),
// and the interval stays within [−1, 1].
func TestFlowAtZeroAndFullRates(t *testing.T) {
	f := flowOf(t, &FlowSums{Journeys: [2]int64{10, 10}, Converted: [2]int64{10, 0}})
	eqRate(t, "treatment rate", f.Rate.Treatment, f64(1))
	eqRate(t, "holdout rate", f.Rate.Holdout, f64(0))
	if f.Lift == nil || f.Lift.Absolute != 1 || f.Lift.Relative != nil || f.Lift.CI95 != [2]float64{0.6075, 1} {
		t.Errorf("10/10 against 0/10: lift %+v, want 1 within [0.6075, 1], relative null", f.Lift)
	}
	f = flowOf(t, &FlowSums{Journeys: [2]int64{10, 10}})
	if f.Lift == nil || f.Lift.Absolute != 0 || f.Lift.Relative != nil || f.Lift.CI95 != [2]float64{-0.2775, 0.2775} {
		t.Errorf("0/10 against 0/10: lift %+v, want 0 within [-0.2775, 0.2775]", f.Lift)
	}
	f = flowOf(t, &FlowSums{Journeys: [2]int64{10, 10}, Converted: [2]int64{0, 10}})
	if f.Lift == nil || f.Lift.Absolute != -1 || *f.Lift.Relative != -1 || f.Lift.CI95 != [2]float64{-1, -0.6075} {
		t.Errorf("0/10 against 10/10: lift %+v, want -1 (relative -1) within [-1, -0.6075]", f.Lift)
	}
}

func TestMonthsAndCohortsFromCells(t *testing.T) {
	q := Query{From: Month{2025, 1}, To: Month{2025, 3}, Location: time.UTC, Currency: "PEN", Window: DefaultWindow}
	a := &Aggregates{Cells: map[[2]int]Cell{
		{0, 1}: {3, 4, dec("100")}, // three customers from before, buying in January
		{1, 1}: {4, 5, dec("200")}, // four new in January
		{1, 3}: {1, 1, dec("50")},  // one of them again in March
		{2, 2}: {2, 2, dec("30")},
		{0, 3}: {1, 2, dec("10.005")},
	}, Other: map[int]map[string]Cell{1: {"USD": {0, 2, dec("9.99")}}}}
	r := Build(q, a)
	got, _ := json.Marshal(r.Months)
	want := `[{"month":"2025-01","buyers":7,"returning_buyers":3,"repeat_rate":0.4286,"orders":9,"revenue":"300.00","returning_revenue":"100.00",` +
		`"other_currencies":[{"currency":"USD","orders":2,"revenue":"9.99"}]},` +
		`{"month":"2025-02","buyers":2,"returning_buyers":0,"repeat_rate":0,"orders":2,"revenue":"30.00","returning_revenue":"0.00"},` +
		`{"month":"2025-03","buyers":2,"returning_buyers":2,"repeat_rate":1,"orders":3,"revenue":"60.01","returning_revenue":"60.01"}]`
	if string(got) != want {
		t.Errorf("months:\n got %s\nwant %s", got, want)
	}
	got, _ = json.Marshal(r.Cohorts)
	want = `[{"cohort":"2025-01","customers":4,"retention":[1,0,0.25],"clv":["50.00","50.00","62.50"]},` +
		`{"cohort":"2025-02","customers":2,"retention":[1,0],"clv":["15.00","15.00"]}]`
	if string(got) != want {
		t.Errorf("cohorts:\n got %s\nwant %s", got, want)
	}
	if h := r.Headline(); h != "March 2025: 2 buyers, 2 of them (100.0%) had bought before." {
		t.Errorf("headline %q", h)
	}
}

func TestHeadline(t *testing.T) {
	for _, c := range []struct {
		buyers, returning int64
		want              string
	}{
		{120, 41, "October 2025: 120 buyers, 41 of them (34.2%) had bought before."},
		{0, 0, "October 2025: no buyers."},
		{1, 0, "October 2025: 1 buyer, buying for the first time."},
		{1, 1, "October 2025: 1 buyer, who had bought before."},
	} {
		r := &Report{Months: []MonthFigures{{Month: "2025-10", Buyers: c.buyers, ReturningBuyers: c.returning}}}
		if got := r.Headline(); got != c.want {
			t.Errorf("%d buyers, %d returning: %q, want %q", c.buyers, c.returning, got, c.want)
		}
	}
}
