package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
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
