package pgstore

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Times: columns where the zero time means "none" (next_wake_at, goal_until...) hold NULL for it,
// so that partial indexes leave those rows out. The NOT NULL ones would hold a zero time as
// itself, year 1, which sorts and compares as the in-memory store sorts and compares it. Times
// come back in UTC, truncated to the microsecond as PostgreSQL keeps them.

func nullTime(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

func fromNull(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// encodeJSON writes a document for a jsonb column.
func encodeJSON(v any) (string, error) {
	b, err := appendJSON(nil, v)
	return string(b), err
}

func parseDecimal(s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return d, fmt.Errorf("total_spent %q: %w", s, err)
	}
	return d, nil
}

// lastByKey keeps the last row of each key: ON CONFLICT DO UPDATE may not touch a row twice in
// one statement, and the in-memory store keeps the last of several.
func lastByKey[T any](rows []T, key func(T) string) []T {
	if len(rows) < 2 {
		return rows
	}
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		last[key(r)] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]T, 0, len(last))
	for i, r := range rows {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, alias+strings.TrimSpace(c))
	}
	return strings.Join(out, ", ")
}
