package storetest

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("SendRates", testSendRates)
	register("SendRatesAtOnce", testSendRatesAtOnce)
}

// A channel's sending moments are spaced `every` apart, a burst may go at once, and a moment
// past the caller's horizon is not taken.
func testSendRates(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	reserve := func(channel string, within time.Duration) (time.Duration, bool) {
		t.Helper()
		wait, ok, err := st.ReserveSend(ctx, channel, time.Hour, 2, within)
		if err != nil {
			t.Fatal(err)
		}
		return wait, ok
	}
	near := func(what string, got, want time.Duration) {
		t.Helper()
		if got < want-time.Minute || got > want {
			t.Errorf("%s: wait %v, want about %v", what, got, want)
		}
	}
	for i := range 2 {
		if wait, ok := reserve("sms", 10*time.Hour); !ok || wait > time.Minute {
			t.Fatalf("message %d of a burst of 2: wait %v, ok %v; want at once", i+1, wait, ok)
		}
	}
	wait, ok := reserve("sms", 10*time.Hour)
	if !ok {
		t.Fatal("the third message got no moment")
	}
	near("the third message", wait, time.Hour)
	if _, ok := reserve("sms", 90*time.Minute); ok {
		t.Error("a moment two hours away was taken for a caller that waits 90 minutes at most")
	}
	wait, ok = reserve("sms", 10*time.Hour)
	if !ok {
		t.Fatal("the fourth message got no moment")
	}
	near("the fourth message (the refused one took nothing)", wait, 2*time.Hour)
	if wait, ok := reserve("email", 0); !ok || wait > time.Minute {
		t.Errorf("another channel: wait %v, ok %v; want at once", wait, ok)
	}
}

// Callers reserving at the same moment each get a moment of their own.
func testSendRatesAtOnce(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	var mu sync.Mutex
	var waits []time.Duration
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, ok, err := st.ReserveSend(ctx, "sms", time.Hour, 1, 100*time.Hour)
			if err != nil || !ok {
				t.Errorf("%v %v", ok, err)
				return
			}
			mu.Lock()
			waits = append(waits, wait)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	for i, w := range waits {
		if want := time.Duration(i) * time.Hour; w < want-time.Minute || w > want {
			t.Errorf("moment %d: wait %v, want about %v (all: %v)", i, w, want, waits)
		}
	}
}
