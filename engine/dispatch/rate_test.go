package dispatch

import (
	"context"
	"testing"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/internal/pgtest"
	"github.com/rs/zerolog"
)

// A channel's rate_limit is a total: two processes on one database, each with its own channels
// and nothing shared but the database, send one message an hour between them, not one each.
func TestRateLimitHoldsAcrossProcesses(t *testing.T) {
	st := pgtest.Store(t, pgstore.Options{MaxConns: 4})
	s := newSink(t)
	first, clk := setup(t, st, s.server.URL, 2)
	settings := &dsl.Settings{Channels: map[string]*dsl.Channel{"crm": {Name: "crm", Connector: "webhook",
		With: map[string]any{"url": s.server.URL, "secret": "s"}, RateLimit: 1.0 / 3600}}}
	process := func() *Dispatcher {
		chans, err := Build(settings, connectors.Options{Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		return &Dispatcher{Store: st, Channels: chans, Clock: clk, Log: zerolog.Nop(), Batch: 1, Lease: first.Lease}
	}
	a, b := process(), process()
	ctx := context.Background()
	for _, d := range []*Dispatcher{a, b} {
		if n, err := d.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("RunOnce: %d %v", n, err)
		}
	}
	var sent int
	for _, id := range []string{"ma", "mb"} {
		if storedMessage(t, st, id).Status == store.Sent {
			sent++
		}
	}
	s.mu.Lock()
	reached := len(s.bodies)
	s.mu.Unlock()
	if sent != 1 || reached != 1 {
		t.Errorf("%d messages sent, %d reached the provider; want one an hour in all", sent, reached)
	}
}
