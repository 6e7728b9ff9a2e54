package dispatch

import (
	"context"
	"testing"
	"time"
)

// The limiter runs on a fake clock here: a test that slept for real would measure the machine.
func TestLimiterSpacesMessages(t *testing.T) {
	now := time.Unix(0, 0)
	var slept time.Duration
	l := newLimiter(2) // two a second, bursts of two
	l.now = func() time.Time { return now }
	l.sleep = func(_ context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil }
	for range 6 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// The first two go at once; the next four wait half a second each.
	if slept != 2*time.Second {
		t.Errorf("waited %s for 6 messages at 2/s with a burst of 2, want 2s", slept)
	}
	var none *limiter
	if err := none.wait(context.Background()); err != nil {
		t.Error("no limit must never wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.sleep = sleepCtx
	l.tokens = 0
	if err := l.wait(ctx); err == nil {
		t.Error("a cancelled wait must return the context's error")
	}
}

func TestBackoffGrowsWithJitterAndACap(t *testing.T) {
	prevMax := time.Duration(0)
	for n := 1; n <= 15; n++ {
		base := 30 * time.Second << min(n-1, 10)
		base = min(base, 6*time.Hour)
		for range 50 {
			b := Backoff(n)
			if b < base/2 || b > base {
				t.Fatalf("Backoff(%d) = %s, want within [%s, %s]", n, b, base/2, base)
			}
		}
		if base < prevMax {
			t.Fatalf("backoff shrank at %d", n)
		}
		prevMax = base
	}
}
