package dispatch

import (
	"testing"
	"time"
)

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
