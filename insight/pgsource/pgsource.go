// Package pgsource sums a report in PostgreSQL: every figure is an aggregate computed by the
// database, so a report reads a few hundred rows whatever the size of the history. The sums
// follow the same definitions as the in-memory computation (insight.Records), which the shared
// conformance suite holds them to.
package pgsource

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/insight"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"
)

// Source is a report's source on the database of a pool (pgstore.Store.Pool).
type Source struct{ Pool *pgxpool.Pool }

// New returns the source of a pool.
func New(pool *pgxpool.Pool) *Source { return &Source{Pool: pool} }

// params are a query's values as the statements take them.
type params struct {
	bounds     []time.Time
	start, end time.Time
	currency   string
	window     int64 // microseconds: an exact span, as the in-memory computation adds it
	goals      []string
}

// Aggregate runs the report's statements side by side, each on a connection of its own.
func (s *Source) Aggregate(ctx context.Context, q insight.Query) (*insight.Aggregates, error) {
	bounds := q.Bounds()
	p := params{bounds: bounds, start: bounds[0], end: bounds[len(bounds)-1], currency: q.Currency, window: q.Window.Microseconds()}
	goals, err := s.goalVersions(ctx)
	if err != nil {
		return nil, err
	}
	p.goals = goals
	a := &insight.Aggregates{}
	var mu sync.Mutex
	parts := []struct {
		what string
		run  func(context.Context, *params, *insight.Aggregates, *sync.Mutex) error
	}{
		{"buyers by month", s.cells},
		{"time to a second order", s.secondOrders},
		{"flows", s.flows},
		{"messages", s.messages},
		{"NPS", s.nps},
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := part.run(ctx, &p, a, &mu); err != nil {
				errs[i] = fmt.Errorf("report: %s: %w", part.what, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// goalVersions lists the flow versions whose flow has a goal.
func (s *Source) goalVersions(ctx context.Context) ([]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT version, source FROM flow_versions`)
	if err != nil {
		return nil, fmt.Errorf("report: read flow versions: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		var src []byte
		if err := rows.Scan(&v, &src); err != nil {
			return nil, fmt.Errorf("report: read flow versions: %w", err)
		}
		if insight.HasGoal(src) {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}

// each runs a statement and hands every row to fn under the aggregates' lock. The statement runs
// without just-in-time compilation: compiling a report's few large aggregates took longer than
// running them (seconds, on two cores), and they run once.
func (s *Source) each(ctx context.Context, mu *sync.Mutex, sql string, args []any, fn func(pgx.Rows) error) error {
	return pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			mu.Lock()
			err := fn(rows)
			mu.Unlock()
			if err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

func dec(s string) (decimal.Decimal, error) { return decimal.NewFromString(s) }

// The counted orders of the period, summed by the month the customer's first counted order was in
// and their own month (width_bucket over the months' first moments: 0 before the period, 1..n
// within it). A customer is counted once in a month, by their first order of that month: the one
// whose previous order came before the month.
const cellsSQL = `SELECT width_bucket(first_at, $1::timestamptz[]) AS fm, width_bucket(placed_at, $1::timestamptz[]) AS m,
	count(*) FILTER (WHERE prev_at IS NULL OR prev_at < $1[width_bucket(placed_at, $1::timestamptz[])]),
	count(*),
	coalesce(sum(greatest(total - refunded, 0)) FILTER (WHERE currency = $4), 0)::text,
	count(*) FILTER (WHERE currency <> $4)
FROM orders
WHERE seq > 0 AND placed_at >= $2 AND placed_at < $3
GROUP BY 1, 2`

const otherSQL = `SELECT width_bucket(placed_at, $1::timestamptz[]), currency, count(*), sum(greatest(total - refunded, 0))::text
FROM orders
WHERE placed_at >= $2 AND placed_at < $3 AND cancelled_at IS NULL AND currency <> $4
GROUP BY 1, 2`

func (s *Source) cells(ctx context.Context, p *params, a *insight.Aggregates, mu *sync.Mutex) error {
	var other int64
	err := s.each(ctx, mu, cellsSQL, []any{p.bounds, p.start, p.end, p.currency}, func(r pgx.Rows) error {
		var f, m int
		var c insight.Cell
		var rev string
		var o int64
		if err := r.Scan(&f, &m, &c.Customers, &c.Orders, &rev, &o); err != nil {
			return err
		}
		var err error
		if c.Revenue, err = dec(rev); err != nil {
			return err
		}
		if a.Cells == nil {
			a.Cells = map[[2]int]insight.Cell{}
		}
		a.Cells[[2]int{f, m}] = c
		other += o
		return nil
	})
	if err != nil || other == 0 {
		return err
	}
	return s.each(ctx, mu, otherSQL, []any{p.bounds, p.start, p.end, p.currency}, func(r pgx.Rows) error {
		var m int
		var cur, rev string
		var c insight.Cell
		if err := r.Scan(&m, &cur, &c.Orders, &rev); err != nil {
			return err
		}
		var err error
		if c.Revenue, err = dec(rev); err != nil {
			return err
		}
		if a.Other == nil {
			a.Other = map[int]map[string]insight.Cell{}
		}
		if a.Other[m] == nil {
			a.Other[m] = map[string]insight.Cell{}
		}
		a.Other[m][cur] = c
		return nil
	})
}

// The customers' second counted orders placed in the period, and the time since their first.
const secondSQL = `SELECT count(*), coalesce(percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY extract(epoch FROM placed_at - first_at)::float8), '{0,0,0}')
FROM orders
WHERE seq = 2 AND placed_at >= $1 AND placed_at < $2`

func (s *Source) secondOrders(ctx context.Context, p *params, a *insight.Aggregates, mu *sync.Mutex) error {
	return s.each(ctx, mu, secondSQL, []any{p.start, p.end}, func(r pgx.Rows) error {
		var q []float64
		if err := r.Scan(&a.SecondOrders, &q); err != nil {
			return err
		}
		copy(a.SecondOrder[:], q)
		return nil
	})
}

// The journeys that entered in the period, each with the counted orders its customer placed
// within the window after it entered (strictly after its entry: the order that started it is not
// its result), summed by flow, arm, and whether the journey's version has a goal. A journey with
// such orders meets the first of them exactly once: the one whose previous order came no later
// than its entry; a journey without meets none, once. Counting those rows counts journeys, and
// those with an order converted by one.
const flowsSQL = `SELECT j.flow_id, j.holdout, j.flow_version = ANY($3::text[]) AS goal,
	count(*) FILTER (WHERE o.customer_id IS NULL OR o.prev_at IS NULL OR o.prev_at <= j.entered_at),
	count(*) FILTER (WHERE (o.customer_id IS NULL OR o.prev_at IS NULL OR o.prev_at <= j.entered_at) AND j.converted_at IS NOT NULL),
	count(*) FILTER (WHERE o.customer_id IS NOT NULL AND (o.prev_at IS NULL OR o.prev_at <= j.entered_at)),
	coalesce(sum(greatest(o.total - o.refunded, 0)) FILTER (WHERE o.currency = $4), 0)::text
FROM journeys j
LEFT JOIN orders o ON o.customer_id = j.customer_id AND o.seq > 0
	AND o.placed_at > j.entered_at AND o.placed_at <= j.entered_at + $5::bigint * interval '1 microsecond'
WHERE j.entered_at >= $1 AND j.entered_at < $2
GROUP BY 1, 2, 3`

// flows adds up each flow's journeys, converted by their goal when their version has one and by
// an order in the window otherwise, and the orders' revenue.
func (s *Source) flows(ctx context.Context, p *params, a *insight.Aggregates, mu *sync.Mutex) error {
	return s.each(ctx, mu, flowsSQL, []any{p.start, p.end, p.goals, p.currency, p.window}, func(r pgx.Rows) error {
		var id, rev string
		var holdout, goal bool
		var n, reached, ordered int64
		if err := r.Scan(&id, &holdout, &goal, &n, &reached, &ordered, &rev); err != nil {
			return err
		}
		d, err := dec(rev)
		if err != nil {
			return err
		}
		f := flowSums(a, id)
		arm := insight.Treatment
		if holdout {
			arm = insight.Holdout
		}
		f.Journeys[arm] += n
		f.Revenue[arm] = f.Revenue[arm].Add(d)
		if goal {
			f.Converted[arm] += reached
			f.Goal = true
		} else {
			f.Converted[arm] += ordered
		}
		return nil
	})
}

const messagesSQL = `SELECT flow_id, channel, status = 'skipped', CASE WHEN status = 'skipped' THEN reason ELSE '' END, count(*)
FROM messages
WHERE created_at >= $1 AND created_at < $2
GROUP BY 1, 2, 3, 4`

func (s *Source) messages(ctx context.Context, p *params, a *insight.Aggregates, mu *sync.Mutex) error {
	return s.each(ctx, mu, messagesSQL, []any{p.start, p.end}, func(r pgx.Rows) error {
		var flow, channel, reason string
		var skipped bool
		var n int64
		if err := r.Scan(&flow, &channel, &skipped, &reason, &n); err != nil {
			return err
		}
		f := flowSums(a, flow)
		if skipped {
			f.Skipped[reason] += n
		} else {
			f.Messages[channel] += n
		}
		return nil
	})
}

// Survey answers whose score is a whole number from 0 to 10, by month.
const npsSQL = `SELECT width_bucket(time, $1::timestamptz[]),
	count(*) FILTER (WHERE s >= 9), count(*) FILTER (WHERE s BETWEEN 7 AND 8), count(*) FILTER (WHERE s <= 6)
FROM (
	SELECT time, (data ->> 'score')::numeric AS s FROM events
	WHERE type = 'survey.answered' AND time >= $2 AND time < $3 AND jsonb_typeof(data -> 'score') = 'number'
) e
WHERE s BETWEEN 0 AND 10 AND s = trunc(s)
GROUP BY 1`

func (s *Source) nps(ctx context.Context, p *params, a *insight.Aggregates, mu *sync.Mutex) error {
	return s.each(ctx, mu, npsSQL, []any{p.bounds, p.start, p.end}, func(r pgx.Rows) error {
		var m int
		var c insight.NPSSums
		if err := r.Scan(&m, &c.Promoters, &c.Passives, &c.Detractors); err != nil {
			return err
		}
		if a.NPS == nil {
			a.NPS = map[int]*insight.NPSSums{}
		}
		a.NPS[m] = &c
		return nil
	})
}

func flowSums(a *insight.Aggregates, id string) *insight.FlowSums {
	if a.Flows == nil {
		a.Flows = map[string]*insight.FlowSums{}
	}
	f := a.Flows[id]
	if f == nil {
		f = &insight.FlowSums{Messages: map[string]int64{}, Skipped: map[string]int64{}}
		a.Flows[id] = f
	}
	return f
}

// MainCurrency is the currency of most counted orders, or "" when there are none.
func (s *Source) MainCurrency(ctx context.Context) (string, error) {
	var cur string
	err := s.Pool.QueryRow(ctx, `SELECT currency FROM orders WHERE placed_at IS NOT NULL AND cancelled_at IS NULL AND currency <> ''
		GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1`).Scan(&cur)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("report: the currency of most orders: %w", err)
	}
	return cur, nil
}
