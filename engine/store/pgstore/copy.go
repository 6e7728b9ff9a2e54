package pgstore

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// rowSource feeds COPY one row at a time from a slice, reusing one row of values.
type rowSource struct {
	n, i int
	row  []any
	fill func(i int) error
	err  error
}

func (r *rowSource) Next() bool {
	if r.err != nil || r.i >= r.n {
		return false
	}
	r.err = r.fill(r.i)
	r.i++
	return r.err == nil
}

func (r *rowSource) Values() ([]any, error) { return r.row, r.err }

func (r *rowSource) Err() error { return r.err }

// existing returns which of the rows, named by (customer_id, key column), are in the table.
func existing[T any](ctx context.Context, tx pgx.Tx, table, key string, rows []T, id func(T) [2]string) (map[[2]string]bool, error) {
	cids, ids := make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		k := id(r)
		cids[i], ids[i] = k[0], k[1]
	}
	q, err := tx.Query(ctx, `SELECT t.customer_id, t.`+key+` FROM unnest($1::text[], $2::text[]) AS u(customer_id, id)
		JOIN `+table+` t ON t.customer_id = u.customer_id AND t.`+key+` = u.id`, cids, ids)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	out := map[[2]string]bool{}
	for q.Next() {
		var k [2]string
		if err := q.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, q.Err()
}

// columnList splits a column list constant into names, for COPY.
func columnList(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

// firstByKey keeps the first of rows with the same key: a second copy of a row inserted "unless
// it exists" is left out, as the first would have made it exist.
func firstByKey[T any, K comparable](rows []T, key func(T) K) []T {
	if len(rows) < 2 {
		return rows
	}
	seen := make(map[K]bool, len(rows))
	out := rows[:0:0]
	for _, r := range rows {
		k := key(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}
