// Helpers the conformance tests share: transactions held open, ids, comparisons, fixtures.

package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/shopspring/decimal"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func inTx(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := ctxT(t)
	if err := st.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("transaction: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func customerIDs(cs []*store.Customer) []string {
	return ids(cs, func(c *store.Customer) string { return c.ID })
}

func journeyIDs(js []*store.Journey) []string {
	return ids(js, func(j *store.Journey) string { return j.ID })
}

func messageIDs(ms []*store.Message) []string {
	return ids(ms, func(m *store.Message) string { return m.ID })
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("%s differs\n got: %s\nwant: %s\n(%#v)", what, g, w, got)
	}
}

// eqCustomer compares customers, money by value: 0 and 0.00 are one amount however a decimal
// holds them.
func eqCustomer(t *testing.T, what string, got, want *store.Customer) {
	t.Helper()
	if !got.TotalSpent.Equal(want.TotalSpent) {
		t.Errorf("%s: total_spent %s, want %s", what, got.TotalSpent, want.TotalSpent)
	}
	g, w := *got, *want
	g.TotalSpent, w.TotalSpent = decimal.Zero, decimal.Zero
	deepEqual(t, what, &g, &w)
}

func ev(subject, id, typ string, at time.Time, data map[string]any) store.StoredEvent {
	return store.StoredEvent{Event: event.Event{SpecVersion: "1.0", ID: id, Source: "shop", Type: typ, Subject: subject, Time: at, Data: data}}
}

func num(s string) json.Number { return json.Number(s) }

// seed creates customers with the given wake times (zero: none).
func seed(t *testing.T, st store.Store, wake map[string]time.Time) {
	t.Helper()
	var cids []string
	for id := range wake {
		cids = append(cids, id)
	}
	sort.Strings(cids)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, cids, t0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			c.NextWakeAt = wake[c.ID]
		}
		return tx.SaveCustomers(ctx, cs)
	})
}

// held is a transaction kept open in another goroutine.
type held struct {
	release chan bool
	done    chan error
}

// hold runs fn in a transaction in another goroutine and keeps it open, holding what fn locked,
// until end is called.
func hold(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) *held {
	t.Helper()
	h := &held{release: make(chan bool), done: make(chan error, 1)}
	ready := make(chan error, 1)
	ctx := ctxT(t)
	go func() {
		h.done <- st.InTx(ctx, func(tx store.Tx) error {
			err := fn(ctx, tx)
			ready <- err
			if err != nil {
				return err
			}
			if commit := <-h.release; !commit {
				return errRollback
			}
			return nil
		})
	}()
	if err := <-ready; err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	t.Cleanup(func() {
		select {
		case h.release <- false:
		default:
		}
	})
	return h
}

var errRollback = errors.New("rolled back on purpose")

// end commits or rolls back the held transaction.
func (h *held) end(t *testing.T, commit bool) {
	t.Helper()
	h.release <- commit
	err := <-h.done
	if commit && err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	if !commit && !errors.Is(err, errRollback) {
		t.Fatalf("holding transaction: got %v, want the rollback", err)
	}
}

// async runs fn in a transaction in another goroutine and reports when it has finished.
func async(t *testing.T, st store.Store, fn func(ctx context.Context, tx store.Tx) error) chan error {
	done := make(chan error, 1)
	ctx := ctxT(t)
	go func() { done <- st.InTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }) }()
	return done
}

// quickly waits for a transaction that must not wait for any lock.
func quickly(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited for a lock; it must skip what other transactions hold", what)
	}
}

// stillWaiting checks that a transaction is blocked on a lock.
func stillWaiting(t *testing.T, done chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s finished (err %v) while another transaction held the rows; it must wait", what, err)
	case <-time.After(300 * time.Millisecond):
	}
}

func fail(format string, a ...any) error { return fmt.Errorf(format, a...) }

func t0Or(t time.Time) time.Time {
	if t.IsZero() {
		return t0
	}
	return t
}
