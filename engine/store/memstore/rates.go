package memstore

import (
	"context"
	"time"
)

// ReserveSend takes a channel's next sending moment, on the wall clock: rate limits pace real
// sends.
func (s *Store) ReserveSend(_ context.Context, channel string, every time.Duration, burst int, within time.Duration) (time.Duration, bool, error) {
	s.ratesMu.Lock()
	defer s.ratesMu.Unlock()
	now := time.Now()
	// Moments may lag behind the clock by up to burst-1 of them: that lets a burst go at once.
	slot := now.Add(-time.Duration(max(burst-1, 0)) * every)
	if next, ok := s.rates[channel]; ok && next.After(slot) {
		slot = next
	}
	if slot.After(now.Add(within)) {
		return 0, false, nil
	}
	if s.rates == nil {
		s.rates = map[string]time.Time{}
	}
	s.rates[channel] = slot.Add(every)
	return max(slot.Sub(now), 0), true, nil
}
