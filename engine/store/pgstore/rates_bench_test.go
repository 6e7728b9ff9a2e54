package pgstore_test

import (
	"context"
	"testing"
	"time"
)

// What a send on a rate-limited channel costs for its moment: one statement.
func BenchmarkReserveSend(b *testing.B) {
	st := newStore(b)
	ctx := context.Background()
	for b.Loop() {
		if _, ok, err := st.ReserveSend(ctx, "sms", time.Nanosecond, 1, time.Hour); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
