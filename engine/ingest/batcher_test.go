package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/rs/zerolog"
)

func workspace(t *testing.T) *dsl.Workspace {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "afterglow.yaml"), []byte("channels:\n  email: {connector: console}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "flows", "thanks.yaml"), []byte(`
flow: thanks
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: hi, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: Thanks, text: Thanks}}}}}
`), 0o644)
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	return ws
}

func TestConcurrentSubmitsAreAllCommitted(t *testing.T) {
	st := memstore.New()
	eng := engine.New(st, engine.NewFlowSet(workspace(t)), engine.Options{Logger: zerolog.Nop()})
	b := &Batcher{Engine: eng, MaxBatch: 50, MaxWait: time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ev := event.Event{SpecVersion: "1.0", ID: fmt.Sprint("e", i), Source: "t", Type: "order.placed", Subject: fmt.Sprint("c", i%20),
				Time: time.Now(), Data: map[string]any{"order_id": fmt.Sprint(i), "total": "1.00", "currency": "PEN"}}
			errs <- b.Submit(context.Background(), []event.Event{ev, ev})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each Submit returned after its commit: everything is in the store now.
	ms, _ := st.Messages(context.Background(), store.MessageFilter{})
	if len(ms) != 200 {
		t.Fatalf("%d messages for 200 orders", len(ms))
	}
	b.Close()
	cancel()
	<-stopped
	if err := b.Submit(context.Background(), []event.Event{{ID: "late"}}); err != ErrClosed {
		t.Errorf("submit after close: %v", err)
	}
}

// With the batcher stuck (a database that hangs) and its queue full, a sender is answered at its
// own deadline instead of waiting for room without end.
func TestSubmitRespectsTheDeadlineWhenTheQueueIsFull(t *testing.T) {
	eng := engine.New(memstore.New(), engine.NewFlowSet(workspace(t)), engine.Options{Logger: zerolog.Nop()})
	b := &Batcher{Engine: eng} // not running: nothing leaves the queue
	ev := []event.Event{{SpecVersion: "1.0", ID: "e", Source: "t", Type: "customer.updated", Subject: "c", Time: time.Now()}}
	var wg sync.WaitGroup
	for range 1024 { // fill the queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_ = b.Submit(ctx, ev)
		}()
	}
	wg.Wait()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		done <- b.Submit(ctx, ev)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Submit with the queue full: %v; want the deadline's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Submit with the queue full waited past its deadline")
	}
}

// TestInvalidRequestsAreRefusedAlone: a request whose events do not fit the catalog gets its own
// problems, indexed in its own batch, and the requests that shared its group are committed.
func TestInvalidRequestsAreRefusedAlone(t *testing.T) {
	st := memstore.New()
	eng := engine.New(st, engine.NewFlowSet(workspace(t)), engine.Options{Logger: zerolog.Nop()})
	b := &Batcher{Engine: eng, MaxBatch: 1000, MaxWait: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Run(ctx)
	order := func(i int, total any) event.Event {
		return event.Event{SpecVersion: "1.0", ID: fmt.Sprint("e", i), Source: "t", Type: "order.placed", Subject: fmt.Sprint("c", i),
			Time: time.Now(), Data: map[string]any{"order_id": fmt.Sprint(i), "total": total, "currency": "PEN"}}
	}
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range 30 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			evs := []event.Event{order(2*i, "1.00"), order(2*i+1, "2.00")}
			if i%3 == 0 {
				evs[1].Data["total"] = "lots"
			}
			errs[i] = b.Submit(context.Background(), evs)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		var inv *event.Refused
		switch {
		case i%3 != 0 && err != nil:
			t.Errorf("request %d: %v", i, err)
		case i%3 == 0 && (!errors.As(err, &inv) || len(inv.Problems) != 1 || inv.Problems[0].Index != 1 || inv.Problems[0].Field != "data.total"):
			t.Errorf("request %d: want its own problem at event 1's data.total, got %v", i, err)
		}
	}
	ms, _ := st.Messages(context.Background(), store.MessageFilter{})
	if len(ms) != 40 {
		t.Errorf("%d messages, want 40: the 20 valid requests' orders", len(ms))
	}
}
