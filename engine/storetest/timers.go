package storetest

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("ClaimDue", testClaimDue)
	register("ClaimStaleDates", testClaimStaleDates)
	register("LockCustomersAfter", testLockCustomersAfter)
	register("NextWake", testNextWake)
	registerConcurrent("Concurrent/ClaimDueSkipsLocked", testClaimDueSkipsLocked)
	registerConcurrent("Concurrent/ClaimStaleDatesSkipsLocked", testClaimStaleDatesSkipsLocked)
	registerConcurrent("Concurrent/LockCustomersAfterWaits", testLockCustomersAfterWaits)
}

func testClaimDue(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{
		"c1": t0.Add(-time.Hour), "c2": t0.Add(time.Hour), "c3": t0.Add(-3 * time.Hour), "c4": {},
		"c5": t0.Add(-2 * time.Hour), "c6": t0, "c7": t0.Add(-2 * time.Hour),
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 3)
		if err != nil {
			return err
		}
		// The three earliest (c5 and c7 tie: by id), returned in id order.
		sameIDs(t, "ClaimDue limit 3", customerIDs(cs), []string{"c3", "c5", "c7"})
		for _, c := range cs {
			if c.New {
				t.Errorf("claimed customer %s marked New", c.ID)
			}
		}
		return nil
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		// Nothing was saved: the same customers are due again, with the others.
		cs, err := tx.ClaimDue(ctx, t0, 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue all due", customerIDs(cs), []string{"c1", "c3", "c5", "c6", "c7"})
		for _, c := range cs {
			c.NextWakeAt = map[string]time.Time{"c1": t0.Add(-time.Hour), "c3": {}}[c.ID]
			if c.ID == "c5" || c.ID == "c6" || c.ID == "c7" {
				c.NextWakeAt = t0.Add(24 * time.Hour)
			}
		}
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue after saving new wake times", customerIDs(cs), []string{"c1"})
		cs, err = tx.ClaimDue(ctx, t0.Add(24*time.Hour), 100)
		if err != nil {
			return err
		}
		sameIDs(t, "ClaimDue a day later", customerIDs(cs), []string{"c1", "c2", "c5", "c6", "c7"})
		return nil
	})
}

func testClaimStaleDates(t *testing.T, st store.Store) {
	versions := map[string]string{"a": "v2", "b": "", "c": "v1", "d": "v3", "e": "v2", "f": "", "g": "v1"}
	var all []string
	for id := range versions {
		all = append(all, id)
	}
	sort.Strings(all)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, all, t0)
		if err != nil {
			return err
		}
		for _, c := range cs {
			c.DatesVersion = versions[c.ID]
		}
		return tx.SaveCustomers(ctx, cs)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v2", 3)
		if err != nil {
			return err
		}
		// (DatesVersion, id) order: b and f (""), then c ("v1"); returned by id.
		sameIDs(t, "ClaimStaleDates limit 3", customerIDs(cs), []string{"b", "c", "f"})
		return nil
	})
	seen := map[string]bool{}
	for round := 0; round < 10; round++ {
		n := 0
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			cs, err := tx.ClaimStaleDates(ctx, "v2", 2)
			if err != nil {
				return err
			}
			n = len(cs)
			if n > 2 {
				t.Errorf("ClaimStaleDates returned %d customers, limit 2", n)
			}
			if !sort.StringsAreSorted(customerIDs(cs)) {
				t.Errorf("ClaimStaleDates returned %q, want id order", customerIDs(cs))
			}
			for _, c := range cs {
				if c.DatesVersion == "v2" {
					t.Errorf("customer %s is up to date and was claimed", c.ID)
				}
				seen[c.ID] = true
				c.DatesVersion = "v2"
			}
			return tx.SaveCustomers(ctx, cs)
		})
		if n == 0 {
			break
		}
	}
	var got []string
	for id := range seen {
		got = append(got, id)
	}
	sort.Strings(got)
	sameIDs(t, "every stale customer claimed once", got, []string{"b", "c", "d", "f", "g"})
}

func testLockCustomersAfter(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "B": {}, "c": {}, "d": {}, "e": {}})
	type page struct {
		ids  []string
		last string
	}
	var pages []page
	after := ""
	for i := 0; i < 6; i++ {
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			cs, last, err := tx.LockCustomersAfter(ctx, after, 2)
			if err != nil {
				return err
			}
			pages = append(pages, page{customerIDs(cs), last})
			after = last
			return nil
		})
	}
	// Byte order: "B" before "a".
	want := []page{{[]string{"B", "a"}, "a"}, {[]string{"b", "c"}, "c"}, {[]string{"d", "e"}, "e"}, {nil, "e"}, {nil, "e"}, {nil, "e"}}
	for i := range want {
		if len(pages[i].ids) == 0 {
			pages[i].ids = nil
		}
	}
	deepEqual(t, "pages", pages, want)
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, last, err := tx.LockCustomersAfter(ctx, "bb", 10)
		if err != nil {
			return err
		}
		sameIDs(t, "after an id that does not exist", customerIDs(cs), []string{"c", "d", "e"})
		if last != "e" {
			t.Errorf("last %q, want e", last)
		}
		return nil
	})
}

func testNextWake(t *testing.T, st store.Store) {
	ctx := ctxT(t)
	if _, ok, err := st.NextWake(ctx); ok || err != nil {
		t.Errorf("NextWake of an empty store: ok %v err %v", ok, err)
	}
	seed(t, st, map[string]time.Time{"a": {}})
	if _, ok, _ := st.NextWake(ctx); ok {
		t.Errorf("NextWake with no wake times: ok")
	}
	seed(t, st, map[string]time.Time{"b": t0.Add(time.Hour), "c": t0.Add(-time.Hour), "d": t0})
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0.Add(-time.Hour)) {
		t.Errorf("NextWake: %v %v, want %v", w, ok, t0.Add(-time.Hour))
	}
	seed(t, st, map[string]time.Time{"c": {}})
	if w, ok, _ := st.NextWake(ctx); !ok || !w.Equal(t0) {
		t.Errorf("NextWake after the earliest was cleared: %v %v, want %v", w, ok, t0)
	}
}

func testClaimDueSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": t0.Add(-3 * time.Hour), "b": t0.Add(-2 * time.Hour), "c": t0.Add(-time.Hour)})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockCustomers(ctx, []string{"a"}, t0)
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 2)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimDue")
	sameIDs(t, "claimed beside a locked customer", got, []string{"b", "c"})
	h2 := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 1)
		if err == nil && (len(cs) != 1 || cs[0].ID != "b") {
			err = fail("claimed %q, want b", customerIDs(cs))
		}
		return err
	})
	done = async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimDue(ctx, t0, 10)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimDue")
	sameIDs(t, "claimed beside claimed customers", got, []string{"c"})
	h.end(t, false)
	h2.end(t, true)
}

func testClaimStaleDatesSkipsLocked(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "c": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v1", 1)
		if err == nil && len(cs) != 1 {
			err = fail("claimed %q", customerIDs(cs))
		}
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.ClaimStaleDates(ctx, "v1", 10)
		got = customerIDs(cs)
		return err
	})
	quickly(t, done, "ClaimStaleDates")
	sameIDs(t, "claimed beside a claimed customer", got, []string{"b", "c"})
	h.end(t, true)
}

func testLockCustomersAfterWaits(t *testing.T, st store.Store) {
	seed(t, st, map[string]time.Time{"a": {}, "b": {}, "c": {}})
	h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockCustomers(ctx, []string{"b"}, t0)
		return err
	})
	var got []string
	done := async(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, _, err := tx.LockCustomersAfter(ctx, "", 10)
		got = customerIDs(cs)
		return err
	})
	stillWaiting(t, done, "LockCustomersAfter over a customer another transaction holds")
	h.end(t, false)
	quickly(t, done, "LockCustomersAfter")
	sameIDs(t, "locked", got, []string{"a", "b", "c"})
}
