package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReserveSend takes a channel's next sending moment in one statement, so that processes sending
// at once take moments one after the other. The moments are spaced `every` apart, and may lag
// behind the database's clock by up to burst-1 of them, which lets a burst go at once.
func (s *Store) ReserveSend(ctx context.Context, channel string, every time.Duration, burst int, within time.Duration) (time.Duration, bool, error) {
	lag := time.Duration(max(burst-1, 0)) * every
	var wait float64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO send_rates AS r (channel, next_at) VALUES ($1, now() - $3::bigint * interval '1 microsecond' + $2::bigint * interval '1 microsecond')
		ON CONFLICT (channel) DO UPDATE
			SET next_at = greatest(r.next_at, now() - $3::bigint * interval '1 microsecond') + $2::bigint * interval '1 microsecond'
			WHERE greatest(r.next_at, now() - $3::bigint * interval '1 microsecond') <= now() + $4::bigint * interval '1 microsecond'
		RETURNING extract(epoch FROM r.next_at - $2::bigint * interval '1 microsecond' - now())::float8`,
		channel, every.Microseconds(), lag.Microseconds(), within.Microseconds()).Scan(&wait)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return max(time.Duration(wait*float64(time.Second)), 0), true, nil
}
