package server

import (
	"context"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
)

// Scrapes within the cache's lifetime reuse the counts; a later one reads the store again.
func TestStatsCacheReusesCountsForItsLifetime(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	insert := func(id string) {
		t.Helper()
		err := st.InTx(ctx, func(tx store.Tx) error {
			return tx.InsertMessages(ctx, []*store.Message{{ID: id, CustomerID: "c", JourneyID: "j", Channel: "email",
				Status: store.Pending, SendAt: now, CreatedAt: now}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pending := func(s *store.Stats) int64 { return s.Messages[[2]string{"email", store.Pending}] }

	c := &statsCache{ttl: time.Hour}
	insert("m1")
	first, err := c.get(ctx, st, now)
	if err != nil || pending(first) != 1 {
		t.Fatalf("first scrape: %v, %v", first, err)
	}
	insert("m2")
	if again, _ := c.get(ctx, st, now); pending(again) != 1 {
		t.Errorf("a scrape within the hour counted %d pending, want the cached 1", pending(again))
	}
	c.ttl = time.Nanosecond
	if fresh, _ := c.get(ctx, st, now); pending(fresh) != 2 {
		t.Errorf("a scrape after the cache expired counted %d pending, want 2", pending(fresh))
	}
}
