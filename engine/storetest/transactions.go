package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("InTx/Rollback", testRollback)
	register("InTx/Panic", testPanicRollsBack)
	register("NoLostUpdates", testNoLostUpdates)
	registerConcurrent("Concurrent/UncommittedInvisible", testUncommittedInvisible)
}

func testRollback(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"old": t0.Add(time.Hour)})
	boom := errors.New("boom")
	ctx := ctxT(t)
	err := st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("ann", "e1", "order.placed", t0, map[string]any{"order_id": "7"})}); err != nil {
			return err
		}
		cs, err := tx.LockCustomers(ctx, []string{"ann", "old"}, t0)
		if err != nil {
			return err
		}
		cs[1].Attrs["changed"] = true
		cs[1].NextWakeAt = t0.Add(-time.Hour)
		if err := tx.SaveCustomers(ctx, cs); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, []*store.Journey{journey("ann", "j1", "f", store.Active, t0)}); err != nil {
			return err
		}
		if err := tx.SaveEntries(ctx, []*store.Entry{{CustomerID: "ann", FlowID: "f", Key: "k", LastEnteredAt: t0}}); err != nil {
			return err
		}
		if err := tx.InsertMessages(ctx, []*store.Message{newMessage("ann", "m1", store.Pending, t0)}); err != nil {
			return err
		}
		if _, err := tx.LockSchedule(ctx, "sched"); err != nil {
			return err
		}
		if err := tx.SaveSchedule(ctx, &store.Schedule{FlowID: "sched2", Spec: "x"}); err != nil {
			return err
		}
		if err := tx.SaveFlowVersions(ctx, []store.FlowVersion{{Version: "v1", FlowID: "f", Source: []byte("id: f")}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}
	if _, err := st.Event(ctx, "ann", "e1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event survived the rollback (%v)", err)
	}
	if _, err := st.Customer(ctx, "ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("created customer survived the rollback (%v)", err)
	}
	old, err := st.Customer(ctx, "old")
	must(t, err)
	if old.Attrs["changed"] != nil || !old.NextWakeAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("customer change survived the rollback: %+v", old)
	}
	if js, _ := st.Journeys(ctx, store.JourneyFilter{}); len(js) != 0 {
		t.Errorf("journeys survived the rollback: %q", journeyIDs(js))
	}
	if ms, _ := st.Messages(ctx, store.MessageFilter{}); len(ms) != 0 {
		t.Errorf("messages survived the rollback: %q", messageIDs(ms))
	}
	if ss, _ := st.Schedules(ctx); len(ss) != 0 {
		t.Errorf("schedules survived the rollback: %+v", ss)
	}
	if _, err := st.FlowVersion(ctx, "v1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("flow version survived the rollback (%v)", err)
	}
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextWake after rollback: %v %v, want %v", w, ok, t0.Add(time.Hour))
	}
	if _, found, _ := st.CustomerOfOrder(ctx, "shop", "7"); found {
		t.Errorf("order lookup found an event that was rolled back")
	}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		es, err := tx.Entries(ctx, []string{"ann"}, []string{"f"})
		if err != nil || len(es) != 0 {
			return fail("entries survived the rollback: %v %v", es, err)
		}
		fresh, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("ann", "e1", "order.placed", t0, nil)})
		if err != nil {
			return err
		}
		if !fresh[0] {
			t.Errorf("an event rolled back must be fresh when it comes again")
		}
		cs, err := tx.LockCustomers(ctx, []string{"ann"}, t0)
		if err != nil {
			return err
		}
		if !cs[0].New {
			t.Errorf("a customer whose creation was rolled back must be new again")
		}
		return nil
	})
}

func testPanicRollsBack(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("InTx swallowed a panic")
			}
		}()
		_ = st.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.LockCustomers(ctx, []string{"pan"}, t0); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if _, err := st.Customer(ctx, "pan"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("customer created before a panic survived (%v)", err)
	}
	// The store still works.
	seed(t, st, map[string]time.Time{"after": {}})
}

// testNoLostUpdates runs event-processing transactions on overlapping customers, in id order as
// the engine takes them, alongside timer claims: each increments a counter of each customer it
// locked, and every increment must survive. Some customers do not exist yet and are created by
// whichever transaction comes first: exactly one sees it New.
func testNoLostUpdates(t *testing.T, st store.Store) {
	const workers, rounds = 6, 25
	all := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"}
	seed(t, st, map[string]time.Time{"n0": t0, "n1": t0, "n2": t0, "n3": t0, "n4": t0, "n5": t0, "n6": t0, "n7": t0})
	var wg sync.WaitGroup
	var mu sync.Mutex
	want := map[string]int{}
	created := map[string]int{}
	errs := make(chan error, workers*2)
	count := func(cs []*store.Customer) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			want[c.ID]++
			if c.New {
				created[c.ID]++
			}
		}
	}
	bump := func(cs []*store.Customer) {
		for _, c := range cs {
			n, _ := c.Attrs["counter"].(json.Number)
			i, _ := n.Int64()
			c.Attrs["counter"] = json.Number(fmt.Sprint(i + 1))
			c.NextWakeAt = t0
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				// Overlapping windows of the sorted ids.
				lo := (w + r) % len(all)
				set := map[string]bool{}
				for k := 0; k < 4; k++ {
					set[all[(lo+k*(w%3+1))%len(all)]] = true
				}
				set[fmt.Sprintf("new%d", r%5)] = true
				var ids []string
				for id := range set {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				var locked []*store.Customer
				err := st.InTx(context.Background(), func(tx store.Tx) error {
					cs, err := tx.LockCustomers(context.Background(), ids, t0)
					if err != nil {
						return err
					}
					bump(cs)
					locked = cs
					return tx.SaveCustomers(context.Background(), cs)
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
					return
				}
				count(locked)
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				var claimed []*store.Customer
				err := st.InTx(context.Background(), func(tx store.Tx) error {
					cs, err := tx.ClaimDue(context.Background(), t0, 3)
					if err != nil {
						return err
					}
					bump(cs)
					claimed = cs
					return tx.SaveCustomers(context.Background(), cs)
				})
				if err != nil {
					errs <- fmt.Errorf("claimer %d: %w", w, err)
					return
				}
				count(claimed)
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range []string{"new0", "new1", "new2", "new3", "new4"} {
		if created[id] != 1 {
			t.Errorf("customer %s was reported New by %d transactions, want exactly 1", id, created[id])
		}
	}
	for _, id := range append(all, "new0", "new1", "new2", "new3", "new4") {
		c, err := st.Customer(context.Background(), id)
		must(t, err)
		n, _ := c.Attrs["counter"].(json.Number)
		if got := n.String(); got != fmt.Sprint(want[id]) {
			t.Errorf("customer %s: counter %s after %d increments: updates were lost", id, got, want[id])
		}
	}
}

func testUncommittedInvisible(t *testing.T, st store.Store) {
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.InsertEvents(ctx, []store.StoredEvent{ev("x", "e1", "order.placed", t0, map[string]any{"order_id": "5"})}); err != nil {
			return err
		}
		_, err := tx.LockCustomers(ctx, []string{"x"}, t0)
		return err
	})
	ctx := ctxT(t)
	if _, err := st.Customer(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a customer another transaction is creating is visible (%v)", err)
	}
	if _, found, _ := st.CustomerOfOrder(ctx, "shop", "5"); found {
		t.Errorf("an uncommitted order is visible")
	}
	h.end(t, true)
	if _, err := st.Customer(ctx, "x"); err != nil {
		t.Errorf("customer after commit: %v", err)
	}
	if id, found, _ := st.CustomerOfOrder(ctx, "shop", "5"); !found || id != "x" {
		t.Errorf("order after commit: %q %v", id, found)
	}
}
