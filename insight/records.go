package insight

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/shopspring/decimal"
)

// Records are a shop's history held in memory, as a simulation or a test has it: the reference
// computation of every sum, which the SQL of the database source must match.
type Records struct {
	Orders   []*store.Order
	Journeys []*store.Journey
	Messages []*store.Message
	Surveys  []Survey
	// Goals says, for each flow version, whether the flow has a goal.
	Goals map[string]bool
}

// Survey is a survey.answered event: when, and its score as sent.
type Survey struct {
	At    time.Time
	Score any
}

// Aggregate sums the records for q.
func (r *Records) Aggregate(ctx context.Context, q Query) (*Aggregates, error) {
	bounds := q.Bounds()
	n := len(bounds) - 1
	end := bounds[n]
	a := &Aggregates{}

	// Each customer's counted orders, in time order.
	byCustomer := map[string][]*store.Order{}
	for _, o := range r.Orders {
		if o.Counted() {
			byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
		}
	}
	var seconds []float64
	for _, os := range byCustomer {
		sort.Slice(os, func(i, j int) bool { return placedBefore(os[i], os[j]) })
		if !os[0].PlacedAt.Before(end) {
			continue
		}
		first := bucket(os[0].PlacedAt, bounds)
		cells := map[int]*Cell{}
		for _, o := range os {
			m := bucket(o.PlacedAt, bounds)
			if m < 1 || m > n {
				continue
			}
			c := cells[m]
			if c == nil {
				c = &Cell{Customers: 1}
				cells[m] = c
			}
			c.Orders++
			if o.Currency == q.Currency {
				c.Revenue = c.Revenue.Add(o.Net())
			} else {
				a.addOther(m, o.Currency, Cell{Orders: 1, Revenue: o.Net()})
			}
		}
		for m, c := range cells {
			a.addCell(first, m, *c)
		}
		if len(os) > 1 && bucket(os[1].PlacedAt, bounds) >= 1 && os[1].PlacedAt.Before(end) {
			seconds = append(seconds, os[1].PlacedAt.Sub(os[0].PlacedAt).Seconds())
		}
	}
	a.SecondOrders = int64(len(seconds))
	if len(seconds) > 0 {
		a.SecondOrder = quartiles(seconds)
	}

	for _, j := range r.Journeys {
		if m := bucket(j.EnteredAt, bounds); m < 1 || m > n {
			continue
		}
		f := a.flow(j.FlowID)
		arm := Treatment
		if j.Holdout {
			arm = Holdout
		}
		f.Journeys[arm]++
		goal := r.Goals[j.FlowVersion]
		f.Goal = f.Goal || goal
		ordered := false
		// An order after the period counts for a journey that entered in its last days.
		for _, o := range byCustomer[j.CustomerID] {
			if o.PlacedAt.After(j.EnteredAt) && !o.PlacedAt.After(j.EnteredAt.Add(q.Window)) {
				ordered = true
				if o.Currency == q.Currency {
					f.Revenue[arm] = f.Revenue[arm].Add(o.Net())
				}
			}
		}
		if goal && !j.ConvertedAt.IsZero() || !goal && ordered {
			f.Converted[arm]++
		}
	}
	for _, m := range r.Messages {
		if b := bucket(m.CreatedAt, bounds); b < 1 || b > n {
			continue
		}
		f := a.flow(m.FlowID)
		if m.Status == store.Skipped {
			f.Skipped[m.Reason]++
		} else {
			f.Messages[m.Channel]++
		}
	}
	for _, s := range r.Surveys {
		m := bucket(s.At, bounds)
		score, ok := npsScore(s.Score)
		if m < 1 || m > n || !ok {
			continue
		}
		c := a.nps(m)
		switch {
		case score >= 9:
			c.Promoters++
		case score <= 6:
			c.Detractors++
		default:
			c.Passives++
		}
	}
	return a, nil
}

func placedBefore(a, b *store.Order) bool {
	if !a.PlacedAt.Equal(b.PlacedAt) {
		return a.PlacedAt.Before(b.PlacedAt)
	}
	return a.OrderID < b.OrderID
}

// npsScore reads a survey's score: a number holding a whole value from 0 to 10.
func npsScore(v any) (int, bool) {
	d, ok := scoreDecimal(v)
	if !ok || !d.IsInteger() || d.LessThan(decimal.Zero) || d.GreaterThan(decimal.NewFromInt(10)) {
		return 0, false
	}
	return int(d.IntPart()), true
}

func scoreDecimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case json.Number:
		d, err := decimal.NewFromString(string(x))
		return d, err == nil
	case int:
		return decimal.NewFromInt(int64(x)), true
	case int64:
		return decimal.NewFromInt(x), true
	case float64:
		return decimal.NewFromFloat(x), true
	}
	return decimal.Zero, false
}

// MainCurrency is the currency of most counted orders (the first by name of those tied), or ""
// when there are none.
func (r *Records) MainCurrency() string {
	n := map[string]int{}
	for _, o := range r.Orders {
		if o.Counted() && o.Currency != "" {
			n[o.Currency]++
		}
	}
	best := ""
	for c, k := range n {
		if best == "" || k > n[best] || k == n[best] && c < best {
			best = c
		}
	}
	return best
}
