package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/rs/zerolog"
)

// While one group waits for a customer another transaction holds, a group of the other worker's
// customers commits: the workers take groups side by side. With a single worker the second
// request would wait behind the first until the lock went.
func TestAGroupWaitingForACustomerDoesNotHoldUpTheNext(t *testing.T) {
	st, b := runningBatcher(t)
	ctx := context.Background()
	order := func(id, customer string) []event.Event {
		return []event.Event{{SpecVersion: "1.0", ID: id, Source: "t", Type: "order.placed", Subject: customer,
			Time: time.Now(), Data: map[string]any{"order_id": id, "total": "1.00", "currency": "PEN"}}}
	}
	if err := b.Submit(ctx, order("o1", "slow")); err != nil {
		t.Fatal(err)
	}

	// Another transaction holds the customer, as a long batch of another process would.
	holder, err := st.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(context.Background())
	if _, err := holder.Exec(ctx, `SELECT id FROM customers WHERE id = 'slow' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	slow := make(chan error, 1)
	go func() { slow <- b.Submit(ctx, order("o2", "slow")) }()
	time.Sleep(100 * time.Millisecond) // its group is formed and waits for the lock

	quick, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	other := otherWorkersCustomer(t, "slow", 2)
	if err := b.Submit(quick, order("o3", other)); err != nil {
		t.Fatalf("a request for another customer, while one group waits for a lock: %v", err)
	}
	select {
	case err := <-slow:
		t.Fatalf("the request for the held customer was answered (%v) while the lock was held", err)
	default:
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-slow; err != nil {
		t.Fatalf("the held customer's request, once the lock went: %v", err)
	}
	js, err := st.Journeys(ctx, store.JourneyFilter{CustomerID: "slow"})
	if err != nil || len(js) != 2 {
		t.Fatalf("journeys of the held customer: %d, %v; want 2", len(js), err)
	}
}

// otherWorkersCustomer is a customer id whose events another worker takes than customer's.
func otherWorkersCustomer(t *testing.T, customer string, workers int) string {
	t.Helper()
	for i := range 100 {
		if c := fmt.Sprint("quick-", i); event.Lane(c, workers) != event.Lane(customer, workers) {
			return c
		}
	}
	t.Fatal("every customer went to one worker")
	return ""
}

// A batch of several customers' events is shared out between the workers; its sender is
// answered once every share is committed.
func TestABatchIsAnsweredWhenEveryShareIsCommitted(t *testing.T) {
	st, b := runningBatcher(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Hour)
	var evs []event.Event
	for i := range 40 {
		c := fmt.Sprint("c", i%8)
		evs = append(evs, event.Event{SpecVersion: "1.0", ID: fmt.Sprint("e", i), Source: "t", Type: "order.placed", Subject: c,
			Time: at.Add(time.Duration(i) * time.Second), Data: map[string]any{"order_id": fmt.Sprint(i), "total": "1.00", "currency": "PEN"}})
	}
	if err := b.Submit(ctx, evs); err != nil {
		t.Fatal(err)
	}
	shares := map[int]bool{}
	for i := range 8 {
		c := fmt.Sprint("c", i)
		shares[event.Lane(c, 2)] = true
		stored, err := st.Events(ctx, store.EventFilter{CustomerID: c})
		if err != nil || len(stored) != 5 {
			t.Fatalf("%s: %d events stored (%v), want 5", c, len(stored), err)
		}
	}
	if len(shares) != 2 {
		t.Fatalf("the batch's customers all went to one worker; the test needs both")
	}
}

// runningBatcher is a batcher of two workers on PostgreSQL, running until the test ends.
func runningBatcher(t *testing.T) (*pgstore.Store, *Batcher) {
	st := pgtest.Store(t, pgstore.Options{MaxConns: 6})
	eng := engine.New(st, engine.NewFlowSet(workspace(t)), engine.Options{Logger: zerolog.Nop()})
	b := &Batcher{Engine: eng, MaxBatch: 1000, MaxWait: time.Millisecond, Workers: 2}
	ctx, cancel := context.WithCancel(context.Background())
	go b.Run(ctx)
	t.Cleanup(func() { b.Close(); cancel() })
	return st, b
}
