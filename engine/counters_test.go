package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/rs/zerolog"
)

// failOnce runs the first transaction's work and then fails it, as a lost commit would.
type failOnce struct {
	store.Store
	failed bool
}

func (f *failOnce) InTx(ctx context.Context, fn func(store.Tx) error) error {
	err := f.Store.InTx(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if !f.failed {
			f.failed = true
			return errors.New("commit lost")
		}
		return nil
	})
	return err
}

func TestCountersCountOnlyCommittedWork(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "afterglow.yaml"), []byte("channels:\n  email: {connector: console}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(`
flow: hello
trigger: {event: customer.updated}
steps: [{id: pause, wait: 1d}]
`), 0o644)
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	st := &failOnce{Store: memstore.New()}
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop()})
	ev := event.Event{SpecVersion: "1.0", ID: "1", Source: "t", Type: "customer.updated", Subject: "ana", Time: time.Now()}
	if _, err := eng.Ingest(context.Background(), []event.Event{ev}); err == nil {
		t.Fatal("the first transaction should fail")
	}
	if _, err := eng.Ingest(context.Background(), []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if got := eng.Stats.ByType()["customer.updated"]; got != 1 {
		t.Errorf("processed count %d after a failed and a committed try, want 1", got)
	}
	if got := eng.Stats.Journeys()[[2]string{"hello", "entered"}]; got != 1 {
		t.Errorf("entered count %d, want 1", got)
	}
}

// The timers' lag is measured as they run: how late each woken customer was, and the oldest.
func TestTickReportsHowLateDueJourneysWere(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.WriteFile(filepath.Join(dir, "afterglow.yaml"), []byte("channels:\n  email: {connector: console}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "flows", "pause.yaml"), []byte(`
flow: pause
trigger: {event: customer.updated}
steps: [{id: pause, wait: 1h}]
`), 0o644)
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clk := clock.NewVirtual(start)
	var lates []time.Duration
	eng := engine.New(memstore.New(), engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop(), Clock: clk,
		ObserveWake: func(late time.Duration) { lates = append(lates, late) }})
	ctx := context.Background()
	for i, who := range []string{"ana", "bea"} {
		clk.Set(start.Add(time.Duration(i) * 10 * time.Minute)) // ana is due at 11:00, bea at 11:10
		ev := event.Event{SpecVersion: "1.0", ID: who, Source: "t", Type: "customer.updated", Subject: who, Time: clk.Now()}
		if _, err := eng.Ingest(ctx, []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Set(start.Add(90 * time.Minute))
	if n, err := eng.Tick(ctx); err != nil || n != 2 {
		t.Fatalf("Tick woke %d customers (%v), want 2", n, err)
	}
	slices.Sort(lates)
	if !slices.Equal(lates, []time.Duration{20 * time.Minute, 30 * time.Minute}) || eng.Stats.DueLag() != 30*time.Minute {
		t.Errorf("observed %v, oldest %v; want 20m and 30m late, the oldest 30m", lates, eng.Stats.DueLag())
	}
	if n, _ := eng.Tick(ctx); n != 0 || eng.Stats.DueLag() != 0 {
		t.Errorf("with nothing due: woke %d, oldest lag %v; want 0 and 0", n, eng.Stats.DueLag())
	}
}
