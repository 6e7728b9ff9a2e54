package insight

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Report is what `afterglow report --format json` prints. Its keys are a contract for other
// tools: more may be added, none renamed. Rates are rounded to four places, days to one, money
// is a decimal string with two places; a figure that cannot be computed (a rate of nobody) is null.
type Report struct {
	Period            Period         `json:"period"`
	Months            []MonthFigures `json:"months"`
	TimeToSecondOrder SecondOrder    `json:"time_to_second_order"`
	Cohorts           []Cohort       `json:"cohorts"`
	Flows             []Flow         `json:"flows"`
	NPS               []NPS          `json:"nps"`
}

// Period is what the report covers.
type Period struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
	Window   string `json:"window"` // how soon after entering an order converts a flow without a goal
}

// MonthFigures are one month's buyers and revenue.
type MonthFigures struct {
	Month            string   `json:"month"`
	Buyers           int64    `json:"buyers"`
	ReturningBuyers  int64    `json:"returning_buyers"`
	RepeatRate       *float64 `json:"repeat_rate"`
	Orders           int64    `json:"orders"`
	Revenue          Money    `json:"revenue"`
	ReturningRevenue Money    `json:"returning_revenue"`
	// OtherCurrencies are the month's orders in currencies other than the shop's, never added
	// to its revenue.
	OtherCurrencies []CurrencyFigures `json:"other_currencies,omitempty"`
}

// CurrencyFigures are orders in one currency.
type CurrencyFigures struct {
	Currency string `json:"currency"`
	Orders   int64  `json:"orders"`
	Revenue  Money  `json:"revenue"`
}

// SecondOrder is how long customers whose second order came in the period took to place it.
type SecondOrder struct {
	Customers  int64    `json:"customers"`
	MedianDays *float64 `json:"median_days"`
	P25Days    *float64 `json:"p25_days"`
	P75Days    *float64 `json:"p75_days"`
}

// Cohort is the customers whose first order was in one month, followed month by month.
type Cohort struct {
	Cohort    string    `json:"cohort"`
	Customers int64     `json:"customers"`
	Retention []float64 `json:"retention"` // [k]: the share with an order in the k-th month after
	CLV       []Money   `json:"clv"`       // [k]: net revenue per customer through month k
}

// Flow is what one flow's journeys did, by arm.
type Flow struct {
	Flow string `json:"flow"`
	// ConvertsOn says what a conversion is: "goal" (the flow's goal, reached within its own
	// window) or "order" (a counted order within the report's window of entering).
	ConvertsOn        string           `json:"converts_on"`
	Journeys          Arms[int64]      `json:"journeys"`
	Converted         Arms[int64]      `json:"converted"`
	Rate              Arms[*float64]   `json:"rate"`
	Lift              *Lift            `json:"lift"` // null without journeys in both arms
	RevenuePerJourney Arms[*Money]     `json:"revenue_per_journey"`
	Messages          map[string]int64 `json:"messages"` // by channel: messages written to leave
	Skipped           map[string]int64 `json:"skipped"`  // by reason
}

// Arms are a figure for the customers the flow reached and for its holdout.
type Arms[T any] struct {
	Treatment T `json:"treatment"`
	Holdout   T `json:"holdout"`
}

// Lift is how much more the reached customers converted than the holdout.
type Lift struct {
	Absolute float64    `json:"absolute"` // treatment rate − holdout rate
	Relative *float64   `json:"relative"` // absolute / holdout rate; null when the holdout rate is 0
	CI95     [2]float64 `json:"ci95"`     // the absolute lift's 95% confidence interval
}

// NPS is one month's net promoter score.
type NPS struct {
	Month      string  `json:"month"`
	Responses  int64   `json:"responses"`
	Promoters  int64   `json:"promoters"`
	Passives   int64   `json:"passives"`
	Detractors int64   `json:"detractors"`
	Score      float64 `json:"score"`
}

// Money is an amount in the report's currency, written as a decimal string with two places.
type Money struct{ decimal.Decimal }

// MarshalJSON writes "12345.60".
func (m Money) MarshalJSON() ([]byte, error) { return []byte(`"` + m.StringFixed(2) + `"`), nil }

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Money) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("money %s: %w", b, err)
	}
	m.Decimal = d
	return nil
}

func rate(x, n int64) *float64 {
	if n == 0 {
		return nil
	}
	r := round(float64(x)/float64(n), 4)
	return &r
}

func perCustomer(d decimal.Decimal, n int64) *Money {
	if n == 0 {
		return nil
	}
	return &Money{d.DivRound(decimal.NewFromInt(n), 2)}
}

func days(seconds float64) *float64 {
	d := round(seconds/86400, 1)
	return &d
}

// Build computes a report's figures from its sums.
func Build(q Query, a *Aggregates) *Report {
	months := q.Months()
	n := len(months)
	r := &Report{
		Period: Period{From: q.From.String(), To: q.To.String(), Timezone: q.Location.String(), Currency: q.Currency, Window: durationText(q.Window)},
		Months: []MonthFigures{}, Cohorts: []Cohort{}, Flows: []Flow{}, NPS: []NPS{},
	}
	for m := 1; m <= n; m++ {
		f := MonthFigures{Month: months[m-1].String(), Revenue: Money{decimal.Zero}, ReturningRevenue: Money{decimal.Zero}}
		for first := 0; first <= m; first++ {
			c := a.Cells[[2]int{first, m}]
			f.Buyers += c.Customers
			f.Orders += c.Orders
			f.Revenue.Decimal = f.Revenue.Add(c.Revenue)
			if first < m {
				f.ReturningBuyers += c.Customers
				f.ReturningRevenue.Decimal = f.ReturningRevenue.Add(c.Revenue)
			}
		}
		f.RepeatRate = rate(f.ReturningBuyers, f.Buyers)
		for cur, c := range a.Other[m] {
			f.OtherCurrencies = append(f.OtherCurrencies, CurrencyFigures{Currency: cur, Orders: c.Orders, Revenue: Money{c.Revenue}})
		}
		sort.Slice(f.OtherCurrencies, func(i, j int) bool { return f.OtherCurrencies[i].Currency < f.OtherCurrencies[j].Currency })
		r.Months = append(r.Months, f)
	}
	r.TimeToSecondOrder.Customers = a.SecondOrders
	if a.SecondOrders > 0 {
		r.TimeToSecondOrder.P25Days, r.TimeToSecondOrder.MedianDays, r.TimeToSecondOrder.P75Days =
			days(a.SecondOrder[0]), days(a.SecondOrder[1]), days(a.SecondOrder[2])
	}
	for c := 1; c <= n; c++ {
		size := a.Cells[[2]int{c, c}].Customers
		if size == 0 {
			continue
		}
		co := Cohort{Cohort: months[c-1].String(), Customers: size}
		total := decimal.Zero
		for m := c; m <= n; m++ {
			cell := a.Cells[[2]int{c, m}]
			co.Retention = append(co.Retention, round(float64(cell.Customers)/float64(size), 4))
			total = total.Add(cell.Revenue)
			co.CLV = append(co.CLV, *perCustomer(total, size))
		}
		r.Cohorts = append(r.Cohorts, co)
	}
	var ids []string
	for id := range a.Flows {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.Flows = append(r.Flows, flowFigures(id, a.Flows[id]))
	}
	for m := 1; m <= n; m++ {
		s := a.NPS[m]
		if s == nil {
			continue
		}
		total := s.Promoters + s.Passives + s.Detractors
		if total == 0 {
			continue
		}
		r.NPS = append(r.NPS, NPS{Month: months[m-1].String(), Responses: total, Promoters: s.Promoters, Passives: s.Passives,
			Detractors: s.Detractors, Score: round(100*float64(s.Promoters-s.Detractors)/float64(total), 1)})
	}
	return r
}

func flowFigures(id string, s *FlowSums) Flow {
	f := Flow{Flow: id, ConvertsOn: "order", Messages: s.Messages, Skipped: s.Skipped,
		Journeys:  Arms[int64]{s.Journeys[Treatment], s.Journeys[Holdout]},
		Converted: Arms[int64]{s.Converted[Treatment], s.Converted[Holdout]},
		Rate:      Arms[*float64]{rate(s.Converted[Treatment], s.Journeys[Treatment]), rate(s.Converted[Holdout], s.Journeys[Holdout])},
		RevenuePerJourney: Arms[*Money]{perCustomer(s.Revenue[Treatment], s.Journeys[Treatment]),
			perCustomer(s.Revenue[Holdout], s.Journeys[Holdout])},
	}
	if s.Goal {
		f.ConvertsOn = "goal"
	}
	if f.Messages == nil {
		f.Messages = map[string]int64{}
	}
	if f.Skipped == nil {
		f.Skipped = map[string]int64{}
	}
	f.Lift = lift(s.Converted[Treatment], s.Journeys[Treatment], s.Converted[Holdout], s.Journeys[Holdout])
	return f
}

// lift compares the arms; nil unless both have journeys.
func lift(xt, nt, xh, nh int64) *Lift {
	if nt == 0 || nh == 0 {
		return nil
	}
	pt, ph := float64(xt)/float64(nt), float64(xh)/float64(nh)
	lo, hi := newcombe(xt, nt, xh, nh)
	l := &Lift{Absolute: round(pt-ph, 4), CI95: [2]float64{round(lo, 4), round(hi, 4)}}
	if ph > 0 {
		rel := round((pt-ph)/ph, 4)
		l.Relative = &rel
	}
	return l
}

// durationText writes a window as the flow language does: 14d, 36h, 90m.
func durationText(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
