// Package insight answers a shop's Monday question ("of this month's buyers, how many had bought
// before?") and says what each flow adds over its holdout: repeat rate by month, time to a second
// order, cohorts with their retention and lifetime value, each flow's conversions by arm with the
// lift's confidence interval, and NPS. docs/report.md defines every figure.
//
// A report is computed in two steps: a Source sums the history into Aggregates (the database in
// SQL, or records in memory, by the same definitions), and Build turns the sums into a Report,
// with its rates, intervals and rounding. Figures are counted from counted orders: placed and not
// cancelled, each worth its total less its refunds.
package insight

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Query is what a report covers.
type Query struct {
	From, To Month          // the first and last month, both included
	Location *time.Location // months begin at midnight on the 1st here: the shop's time zone
	Currency string         // revenue is summed in this currency; others are reported apart
	Window   time.Duration  // a flow without a goal converts on a counted order this soon after entering
}

// DefaultWindow is how soon after entering a flow without a goal an order converts it.
const DefaultWindow = 14 * 24 * time.Hour

// Month is a calendar month, written 2025-10.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads a month written YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("%q is not a month: write it as 2025-10", s)
	}
	return Month{t.Year(), t.Month()}, nil
}

// MonthOf is the month a moment falls in, in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	t = t.In(loc)
	return Month{t.Year(), t.Month()}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Add is the month n months later (earlier when n < 0).
func (m Month) Add(n int) Month {
	t := time.Date(m.Year, m.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

// Before reports whether m comes before o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || m.Year == o.Year && m.Month < o.Month
}

// Start is the first moment of the month in loc.
func (m Month) Start(loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

// Name is the month as a person reads it: October 2025.
func (m Month) Name() string { return m.Month.String() + " " + fmt.Sprint(m.Year) }

// ParsePeriod reads a period written as months (2025-01, 2025-12), either of which may be empty:
// the last month defaults to the one now falls in, in loc, and the first to eleven months before
// the last, so that the default is the twelve months up to today.
func ParsePeriod(from, to string, now time.Time, loc *time.Location) (first, last Month, err error) {
	last = MonthOf(now, loc)
	if to != "" {
		if last, err = ParseMonth(to); err != nil {
			return first, last, fmt.Errorf("to: %w", err)
		}
	}
	first = last.Add(-11)
	if from != "" {
		if first, err = ParseMonth(from); err != nil {
			return first, last, fmt.Errorf("from: %w", err)
		}
	}
	if last.Before(first) {
		return first, last, fmt.Errorf("the period ends (%s) before it begins (%s)", last, first)
	}
	return first, last, nil
}

// Months lists the months of the query, in order.
func (q Query) Months() []Month {
	var out []Month
	for m := q.From; !q.To.Before(m); m = m.Add(1) {
		out = append(out, m)
	}
	return out
}

// Bounds are the first moments of the query's months and the first moment after the last one:
// month i (from 1) of the query holds the moments in [Bounds[i-1], Bounds[i]).
func (q Query) Bounds() []time.Time {
	ms := q.Months()
	out := make([]time.Time, 0, len(ms)+1)
	for _, m := range ms {
		out = append(out, m.Start(q.Location))
	}
	return append(out, q.To.Add(1).Start(q.Location))
}

// Check says what is wrong with a query, if anything.
func (q Query) Check() error {
	switch {
	case q.Location == nil:
		return fmt.Errorf("a report needs the shop's time zone")
	case q.Currency == "":
		return fmt.Errorf("a report needs the shop's currency")
	case q.To.Before(q.From):
		return fmt.Errorf("the period ends (%s) before it begins (%s)", q.To, q.From)
	case q.Window <= 0:
		return fmt.Errorf("the conversion window must be positive, not %s", q.Window)
	case len(q.Months()) > 120:
		return fmt.Errorf("a report covers at most 120 months, not %d", len(q.Months()))
	}
	return nil
}

// bucket is the month of the query a moment falls in: 1 for the first month, n for the last, 0
// before the period and n+1 after it. PostgreSQL's width_bucket over Bounds gives the same.
func bucket(t time.Time, bounds []time.Time) int {
	lo, hi := 0, len(bounds)
	for lo < hi {
		mid := (lo + hi) / 2
		if bounds[mid].After(t) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Source sums a shop's history for a query.
type Source interface {
	Aggregate(ctx context.Context, q Query) (*Aggregates, error)
}

// Compute sums the history of src for q and builds the report.
func Compute(ctx context.Context, src Source, q Query) (*Report, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	a, err := src.Aggregate(ctx, q)
	if err != nil {
		return nil, err
	}
	return Build(q, a), nil
}

// Aggregates are a period's sums, from which Build computes every figure. Months are numbered as
// bucket numbers them: 1 to n within the period, 0 before it.
type Aggregates struct {
	// Cells[{f, m}] counts the customers whose first counted order was in month f (0: before the
	// period) and who placed counted orders in month m (1..n): how many, their orders (in any
	// currency), and those orders' net value in the shop's currency. Months and cohorts are both
	// read from them.
	Cells map[[2]int]Cell
	// Other holds each month's counted orders in other currencies, by currency: already among
	// the cells' orders, apart for their revenue.
	Other map[int]map[string]Cell
	// SecondOrders are the customers whose second counted order was placed in the period, with the
	// quartiles of the time from their first to that second order, in seconds.
	SecondOrders int64
	SecondOrder  [3]float64
	Flows        map[string]*FlowSums
	NPS          map[int]*NPSSums
}

// Cell is a count of customers with their orders and net revenue.
type Cell struct {
	Customers int64
	Orders    int64
	Revenue   decimal.Decimal
}

// Arms index a flow's sums: the customers the flow reached, and those its holdout kept apart.
const (
	Treatment = 0
	Holdout   = 1
)

// FlowSums are the sums of one flow's journeys that entered in the period.
type FlowSums struct {
	Journeys  [2]int64
	Converted [2]int64
	Revenue   [2]decimal.Decimal // net revenue of counted orders within the window after entering
	Goal      bool               // its journeys (some of them) ran a version with a goal
	Messages  map[string]int64   // by channel, messages written to leave (not skipped)
	Skipped   map[string]int64   // by reason
}

// NPSSums count one month's survey answers.
type NPSSums struct{ Promoters, Passives, Detractors int64 }

func (a *Aggregates) flow(id string) *FlowSums {
	if a.Flows == nil {
		a.Flows = map[string]*FlowSums{}
	}
	f := a.Flows[id]
	if f == nil {
		f = &FlowSums{Messages: map[string]int64{}, Skipped: map[string]int64{}}
		a.Flows[id] = f
	}
	return f
}

func (a *Aggregates) nps(m int) *NPSSums {
	if a.NPS == nil {
		a.NPS = map[int]*NPSSums{}
	}
	s := a.NPS[m]
	if s == nil {
		s = &NPSSums{}
		a.NPS[m] = s
	}
	return s
}

// addCell adds to a cell, creating it.
func (a *Aggregates) addCell(f, m int, c Cell) {
	if a.Cells == nil {
		a.Cells = map[[2]int]Cell{}
	}
	k := [2]int{f, m}
	old := a.Cells[k]
	a.Cells[k] = Cell{old.Customers + c.Customers, old.Orders + c.Orders, old.Revenue.Add(c.Revenue)}
}

func (a *Aggregates) addOther(m int, currency string, c Cell) {
	if a.Other == nil {
		a.Other = map[int]map[string]Cell{}
	}
	if a.Other[m] == nil {
		a.Other[m] = map[string]Cell{}
	}
	old := a.Other[m][currency]
	a.Other[m][currency] = Cell{old.Customers + c.Customers, old.Orders + c.Orders, old.Revenue.Add(c.Revenue)}
}
