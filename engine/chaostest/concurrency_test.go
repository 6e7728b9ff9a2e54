package chaostest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/dispatch"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
)

const consoleSettings = `
flows: [flows]
templates: [templates]
timezone: America/Lima
secret: chaos-unsubscribe
channels:
  email: {connector: console}
`

// TestConcurrentEngines runs four engines on one database, as four `afterglow run` processes
// would: each with two event ingesters, a timer loop, a schedule loop and a dispatcher, all at
// once on one virtual clock. The test moves the clock a step at a time; at each step the
// customers' events of that step go to random ingesters, in a random order across customers and
// in order within each, in batches, while the timers that came due at that step race them. Every
// customer must end exactly where its own events say, every message must be delivered exactly
// once, and no transaction may deadlock.
//
//	AFTERGLOW_CHAOS_CUSTOMERS=10000 go test -race ./engine/chaostest -run ConcurrentEngines -v
func TestConcurrentEngines(t *testing.T) {
	url := reachable(t)
	customers := envInt("AFTERGLOW_CHAOS_CUSTOMERS", 2000)
	if testing.Short() {
		customers = min(customers, 500)
	}
	const engines, ingestersPerEngine = 4, 2
	w := generate(customers, 1)
	ws, err := writeWorkspace(t.TempDir(), consoleSettings)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, drop, err := pgstore.OpenFresh(ctx, url, "afterglow_chaos_", pgstore.Options{MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop the test schema: %v", err)
		}
	})
	var schema string
	if err := first.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	// Each engine has a pool of its own, as a process would.
	stores := []*pgstore.Store{first}
	for range engines - 1 {
		st, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema, MaxConns: 6})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		stores = append(stores, st)
	}
	clk := clock.NewVirtual(t0)
	logs := &logSink{}
	logger := zerolog.New(logs).Level(zerolog.WarnLevel)
	var engs []*engine.Engine
	for _, st := range stores {
		engs = append(engs, engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: logger, BatchSize: 50}))
	}
	if err := engs[0].SaveVersions(ctx, engs[0].Flows()); err != nil {
		t.Fatal(err)
	}

	var c counters
	sink := &countingSink{got: map[string]int{}}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	var failed atomic.Pointer[error]
	fail := func(err error) {
		failed.CompareAndSwap(nil, &err)
		stop()
	}
	var loops sync.WaitGroup
	loop := func(what string, idle time.Duration, fn func() (int, error)) {
		loops.Add(1)
		go func() {
			defer loops.Done()
			for bg.Err() == nil {
				var n int
				err := c.retry(func() error {
					var err error
					n, err = fn()
					return err
				})
				if err != nil {
					if bg.Err() == nil {
						fail(fmt.Errorf("%s: %w", what, err))
					}
					return
				}
				if n == 0 {
					sleep(bg, idle)
				}
			}
		}()
	}
	for i, eng := range engs {
		loop(fmt.Sprintf("engine %d timers", i), idleTimers, func() (int, error) {
			n, err := eng.Tick(bg)
			c.woken.Add(int64(n))
			return n, err
		})
		loop(fmt.Sprintf("engine %d schedules", i), idleSchedules, func() (int, error) { return eng.RunSchedules(bg) })
		d := &dispatch.Dispatcher{Store: stores[i], Clock: clk, Log: logger, Concurrency: 4, Batch: 40,
			Channels: map[string]*dispatch.Channel{"email": {Name: "email", Connector: sink}},
			// The virtual clock jumps half a day at a time: a lease as short as production's would
			// expire under a send in flight, and the message would rightly go again.
			Lease: 365 * 24 * time.Hour}
		loop(fmt.Sprintf("engine %d dispatcher", i), idleDispatch, func() (int, error) { return d.RunOnce(bg) })
	}

	began := time.Now()
	groups := w.stepGroups()
	var eventSteps []int
	for s := range groups {
		eventSteps = append(eventSteps, s)
	}
	sort.Ints(eventSteps)
	r := rand.New(rand.NewPCG(7, 11))
	ingesters := engines * ingestersPerEngine
	stepsRun, batches := 0, 0
	var ingestTime time.Duration
	for k, next := eventSteps[0], 1; ; stepsRun++ {
		clk.Set(at(k))
		stepBegan := time.Now()
		if gs := groups[k]; len(gs) > 0 {
			work := make([][][]event.Event, ingesters)
			for _, g := range gs {
				i := r.IntN(ingesters)
				work[i] = append(work[i], g)
			}
			var wg sync.WaitGroup
			for i := range ingesters {
				seq := interleave(work[i], r)
				var bs [][]event.Event
				for len(seq) > 0 {
					n := min(len(seq), 1+r.IntN(40))
					bs, seq = append(bs, seq[:n]), seq[n:]
				}
				batches += len(bs)
				eng := engs[i%engines]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, b := range bs {
						if err := c.retry(func() error { _, err := eng.Ingest(bg, b); return err }); err != nil {
							if bg.Err() == nil {
								fail(fmt.Errorf("ingest at step %d: %w", k, err))
							}
							return
						}
					}
				}()
			}
			wg.Wait()
		}
		ingestTime += time.Since(stepBegan)
		// The step is over when nothing is due at it any more: every timer and fan-out it caused
		// has been committed by one engine or another.
		due, ok, err := waitIdle(bg, engs[0], at(k), &failed)
		if err != nil {
			t.Fatalf("step %d: %v", k, err)
		}
		for next < len(eventSteps) && eventSteps[next] <= k {
			next++
		}
		nk := -1
		if next < len(eventSteps) {
			nk = eventSteps[next]
		}
		if ok {
			ds := due.Sub(t0)
			if ds%stepLen != 0 {
				t.Fatalf("something is due at t0+%s, between steps: every wait in the flows is a whole number of steps", ds)
			}
			if s := int(ds / stepLen); nk < 0 || s < nk {
				nk = s
			}
		}
		if nk < 0 {
			break
		}
		k = nk
	}
	if err := waitDelivered(bg, first, &failed); err != nil {
		t.Fatal(err)
	}
	stop()
	loops.Wait()
	if p := failed.Load(); p != nil {
		t.Fatal(*p)
	}
	elapsed := time.Since(began)

	snap, err := readSnapshot(ctx, first.Pool())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range w.check(snap, true, 20) {
		t.Error(d)
	}
	events := 0
	for _, n := range snap.Events {
		events += n
	}
	// Every message that was not skipped reached the connector once, under its own key.
	sent, repeats := 0, 0
	ms, err := first.Messages(ctx, store.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range ms {
		keys[m.IdempotencyKey] = true
		if m.Status == store.Skipped {
			if n := sink.count(m.IdempotencyKey); n != 0 {
				t.Errorf("skipped message %s (%s/%s of %s) was delivered %d times", m.ID, m.FlowID, m.StepID, m.CustomerID, n)
			}
			continue
		}
		sent++
		switch n := sink.count(m.IdempotencyKey); {
		case n == 0:
			t.Errorf("message %s (%s/%s of %s, %s) never reached the connector", m.ID, m.FlowID, m.StepID, m.CustomerID, m.Status)
		case n > 1:
			repeats += n - 1
			t.Errorf("message %s (%s/%s of %s) reached the connector %d times", m.ID, m.FlowID, m.StepID, m.CustomerID, n)
		}
	}
	for k := range sink.snapshot() {
		if !keys[k] {
			t.Errorf("the connector got key %s, which no message has", k)
		}
	}
	if n := c.deadlocks.Load(); n > 0 {
		t.Errorf("%d transactions were chosen as deadlock victims: locks must be taken in one order", n)
	}
	for i, l := range logs.get() {
		if i == 10 {
			t.Errorf("... %d warnings in all", len(logs.get()))
			break
		}
		t.Errorf("engine warned: %s", strings.TrimSpace(l))
	}
	t.Logf("%d customers, %d events stored (%d redeliveries dropped), %d ingest batches over %d steps on %d engines; "+
		"%d customer wake-ups by timers; %d messages delivered; %d transactions retried after a serialization failure, %d deadlocks; "+
		"%s in all, %s of it in the ingest phases of the steps",
		len(w.Plans), events, countDups(w), batches, stepsRun, engines, c.woken.Load(), sent, c.serialization.Load(), c.deadlocks.Load(),
		elapsed.Round(time.Millisecond), ingestTime.Round(time.Millisecond))
}

// How long an idle loop sleeps. Polling is what `afterglow run` does too, only less often: on two
// cores, a dozen loops polling every millisecond would leave little for the work itself.
var (
	idleTimers    = envDuration("AFTERGLOW_CHAOS_IDLE_TIMERS", 2*time.Millisecond)
	idleSchedules = envDuration("AFTERGLOW_CHAOS_IDLE_SCHEDULES", 10*time.Millisecond)
	idleDispatch  = envDuration("AFTERGLOW_CHAOS_IDLE_DISPATCH", 5*time.Millisecond)
)

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

func countDups(w *workload) int {
	n := 0
	for _, p := range w.Plans {
		n += len(p.Dups)
	}
	return n
}

// waitIdle waits until nothing is due at now: no timer, date or schedule (NextDue reads what is
// committed, so a customer claimed by a transaction still under way still counts as due). It
// returns the next due moment.
func waitIdle(ctx context.Context, eng *engine.Engine, now time.Time, failed *atomic.Pointer[error]) (time.Time, bool, error) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if p := failed.Load(); p != nil {
			return time.Time{}, false, *p
		}
		due, ok, err := eng.NextDue(ctx)
		if err != nil {
			return due, ok, err
		}
		if !ok || due.After(now) {
			return due, ok, nil
		}
		if time.Now().After(deadline) {
			return due, ok, fmt.Errorf("work due at %s was still not done after two minutes: a loop is stuck", due)
		}
		sleep(ctx, time.Millisecond)
	}
}

// waitDelivered waits until no message is left to send.
func waitDelivered(ctx context.Context, st *pgstore.Store, failed *atomic.Pointer[error]) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if p := failed.Load(); p != nil {
			return *p
		}
		var n int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM messages WHERE status IN ('pending', 'sending')`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d messages still not delivered after two minutes", n)
		}
		sleep(ctx, 2*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// counters count what went wrong and was retried.
type counters struct {
	deadlocks, serialization, woken atomic.Int64
}

// retry runs fn again after a failure that only lost a race (store.Retryable), as a caller of the
// engine is expected to, and counts each.
func (c *counters) retry(fn func() error) error {
	for {
		err := fn()
		if err == nil || !store.Retryable(err) {
			return err
		}
		var coded interface{ SQLState() string }
		if errors.As(err, &coded) && coded.SQLState() == "40P01" {
			c.deadlocks.Add(1)
		} else {
			c.serialization.Add(1)
		}
	}
}

// countingSink is a connector that counts deliveries by idempotency key.
type countingSink struct {
	mu  sync.Mutex
	got map[string]int
}

func (s *countingSink) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	s.mu.Lock()
	s.got[m.IdempotencyKey]++
	s.mu.Unlock()
	return connectors.Result{ProviderID: "p-" + m.ID}, nil
}

func (s *countingSink) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[key]
}

func (s *countingSink) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.got))
	for k, v := range s.got {
		out[k] = v
	}
	return out
}

// logSink keeps what the engines logged.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.lines = append(l.lines, string(p))
	l.mu.Unlock()
	return len(p), nil
}

func (l *logSink) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
