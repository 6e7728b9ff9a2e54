// Package loadtest drives the engine under synthetic load: the same traffic for the store
// benchmarks (go test -bench) and for afterglow bench, so that both measure one thing. Each
// driver calls the code afterglow run calls (the ingest batcher and Engine.Ingest, Engine.Tick,
// Dispatcher.RunOnce).
package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	_ "github.com/afterglowhq/afterglow/connectors/webhook" // the dispatch sink's connector
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/dispatch"
	"github.com/afterglowhq/afterglow/engine/ingest"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Batch is how many events one transaction takes, as a busy afterglow run takes them from its
// queue.
const Batch = 1000

// T0 is when the synthetic orders happen: 15:00 UTC, afternoon in Lima.
var T0 = time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)

// OrderFlows is a small, realistic flow set: three flows react to order.placed, so each new
// order stores its event, updates its customer, enters three journeys, runs them to their first
// pause and writes one message; the survey's journey is due three days later.
var OrderFlows = map[string]string{
	"afterglow.yaml": "flows: [flows]\ntemplates: [flows]\ntimezone: America/Lima\nsecret: bench\nchannels:\n  email: {connector: console}\n",
	"flows/thank-you.yaml": `
flow: thank-you
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Thanks for order {{ trigger.data.order_id }}", text: "Hi {{ customer.first_name }}, we got it."}}}}}
`,
	"flows/survey.yaml": `
flow: survey
trigger: {event: order.placed}
steps:
  - {id: settle, wait: 3d}
  - {id: ask, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "How was it?", text: "Hi {{ customer.first_name }}"}}}}}
`,
	"flows/delivery.yaml": `
flow: delivery
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - id: delivered
    wait_for: {event: order.delivered, when: event.data.order_id == trigger.data.order_id, timeout: 10d}
  - {id: enjoy, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Enjoy", text: "Hi"}}}}}
`,
}

// LoadFiles writes files (path -> content) into dir and loads them as a workspace, which must
// be clean.
func LoadFiles(dir string, files map[string]string) (*dsl.Workspace, error) {
	if err := WriteFiles(dir, files); err != nil {
		return nil, err
	}
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if ws == nil || l.HasErrors() {
		return nil, fmt.Errorf("workspace does not load: %v", l.Items())
	}
	return ws, nil
}

// WriteFiles writes files (path -> content, leading blank lines dropped) into dir, making the
// folders they need.
func WriteFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(strings.TrimLeft(body, "\n")), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Engine is an engine on st with the flows of ws on a virtual clock at start, its flow versions
// saved as afterglow run saves them on start.
func Engine(ctx context.Context, st store.Store, ws *dsl.Workspace, start time.Time, opts engine.Options) (*engine.Engine, *clock.Virtual, error) {
	clk := clock.NewVirtual(start)
	opts.Clock = clk
	opts.Logger = zerolog.Nop()
	eng := engine.New(st, engine.NewFlowSet(ws), opts)
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		return nil, nil, err
	}
	return eng, clk, nil
}

// Orders makes n order.placed events at T0 for customers of prefix: a third of them from
// returning customers, the rest from new ones, as a shop's stream has them.
func Orders(prefix string, n int, seed uint64) []event.Event {
	r := rand.New(rand.NewPCG(seed, 1))
	evs := make([]event.Event, n)
	known := 0
	for i := range evs {
		c := known
		if known > 0 && r.IntN(3) == 0 {
			c = r.IntN(known)
		} else {
			known++
		}
		cust := fmt.Sprintf("%s%07d", prefix, c)
		evs[i] = event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("%s-%d", prefix, i), Source: "bench", Type: event.OrderPlaced,
			Subject: cust, Time: T0,
			Data: map[string]any{"order_id": fmt.Sprintf("%s-o%d", prefix, i), "total": json.Number("59.90"), "currency": "PEN",
				"items": []any{map[string]any{"sku": "SER-VITC-30", "quantity": json.Number("1"), "price": json.Number("59.90")}}}}
	}
	return evs
}

// Intake feeds evs through the batcher afterglow run takes HTTP requests with, as requests of
// Batch events with up to workers of them in flight, and workers committing: the whole path of
// a busy intake (workers 1: one transaction after the other). As each request is sent, the clock
// moves to its last event, or a second on for events that all happen at once.
func Intake(ctx context.Context, eng *engine.Engine, clk *clock.Virtual, evs []event.Event, workers int) error {
	b := &ingest.Batcher{Engine: eng, MaxBatch: Batch, Workers: workers}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()
	defer func() { b.Close(); cancel(); <-stopped }()
	g, gctx := errgroup.WithContext(ctx)
	slots := make(chan struct{}, workers)
	for k := 0; k < len(evs) && gctx.Err() == nil; k += Batch {
		batch := evs[k:min(k+Batch, len(evs))]
		slots <- struct{}{} // the clock moves when the request leaves, not before
		tickFor(clk, batch)
		g.Go(func() error {
			defer func() { <-slots }()
			return b.Submit(gctx, batch)
		})
	}
	return g.Wait()
}

// tickFor moves the clock to the batch's last event, or a second on when that has passed.
func tickFor(clk *clock.Virtual, batch []event.Event) {
	if t := batch[len(batch)-1].Time; t.After(clk.Now()) {
		clk.Set(t)
	} else {
		clk.Advance(time.Second)
	}
}

// PrepareDue gives n new customers one order each under OrderFlows and moves the clock four
// days on: each then has one journey due (the survey's) and one still waiting (the delivery's).
func PrepareDue(ctx context.Context, eng *engine.Engine, clk *clock.Virtual, n int) error {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{SpecVersion: "1.0", ID: fmt.Sprint(i), Source: "bench", Type: event.OrderPlaced,
			Subject: fmt.Sprintf("t%07d", i), Time: T0, Data: map[string]any{"order_id": fmt.Sprint(i), "total": json.Number("10"), "currency": "PEN"}}
	}
	for k := 0; k < n; k += Batch {
		if _, err := eng.Ingest(ctx, evs[k:min(k+Batch, n)]); err != nil {
			return err
		}
	}
	clk.Advance(4 * 24 * time.Hour)
	return nil
}

// TickAll ticks with workers tickers at once, as afterglow run does, until none finds a journey
// due, and says how many customers were woken.
func TickAll(ctx context.Context, eng *engine.Engine, workers int) (int, error) {
	var woken atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for {
				k, err := eng.Tick(gctx)
				if err != nil || k == 0 {
					return err
				}
				woken.Add(int64(k))
			}
		})
	}
	err := g.Wait()
	return int(woken.Load()), err
}

// Sink is a local HTTP endpoint that answers 200 at once, as a fast CRM would, and counts what
// it received.
type Sink struct {
	*httptest.Server
	Received atomic.Int64
}

// NewSink starts a sink; Close stops it.
func NewSink() *Sink {
	s := &Sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.Received.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	return s
}

// WriteDueWebhooks writes n pending webhook messages on channel "crm", due at T0, in
// transactions of Batch.
func WriteDueWebhooks(ctx context.Context, st store.Store, n int) error {
	for k := 0; k < n; k += Batch {
		ms := make([]*store.Message, min(Batch, n-k))
		for i := range ms {
			id := fmt.Sprintf("m%07d", k+i)
			ms[i] = &store.Message{ID: id, IdempotencyKey: id, CustomerID: fmt.Sprintf("d%07d", k+i), JourneyID: "j" + id, FlowID: "f",
				StepID: "s", Channel: "crm", Shape: message.Webhook, Category: "transactional", Status: store.Pending,
				SendAt: T0, CreatedAt: T0, Content: message.Content{Payload: map[string]any{"order_id": id, "total": "59.90"}}}
		}
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.InsertMessages(ctx, ms) }); err != nil {
			return err
		}
	}
	return nil
}

// Dispatch runs dispatchers, each with 32 sends in flight and leases of 256 messages, that
// deliver the due messages on channel "crm" to url until none is left.
func Dispatch(ctx context.Context, st store.Store, url string, dispatchers int) error {
	spec, _ := connectors.Lookup("webhook")
	conn, err := spec.New(map[string]any{"url": url, "secret": "s"}, connectors.Options{HTTPClient: connectors.NewHTTPClient(5*time.Second, 32*dispatchers)})
	if err != nil {
		return err
	}
	chans := map[string]*dispatch.Channel{"crm": {Name: "crm", Connector: conn}}
	clk := clock.NewVirtual(T0.Add(time.Minute))
	done := make(chan error, dispatchers)
	for range dispatchers {
		go func() {
			d := &dispatch.Dispatcher{Store: st, Channels: chans, Clock: clk, Log: zerolog.Nop(), Concurrency: 32, Batch: 256}
			for {
				k, err := d.RunOnce(ctx)
				if err != nil || k == 0 {
					done <- err
					return
				}
			}
		}()
	}
	var first error
	for range dispatchers {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	return first
}
