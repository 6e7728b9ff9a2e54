package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	_ "github.com/afterglowhq/afterglow/connectors/webhook"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
)

// sink is a local HTTP server that receives the webhook connector's POSTs, as a shop's CRM would:
// it answers with the statuses a test scripts and remembers every delivery by idempotency key.
type sink struct {
	mu     sync.Mutex
	script []int // statuses to answer, in order; then 200
	byKey  map[string]int
	bodies []map[string]any
	server *httptest.Server
}

func newSink(t *testing.T, script ...int) *sink {
	s := &sink{script: script, byKey: map[string]int{}}
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		status := 200
		if len(s.script) > 0 {
			status, s.script = s.script[0], s.script[1:]
		}
		if status == 200 {
			s.byKey[r.Header.Get("Idempotency-Key")]++
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			s.bodies = append(s.bodies, m)
		}
		s.mu.Unlock()
		if status == 429 {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"crm-1"}`))
	}))
	t.Cleanup(s.server.Close)
	return s
}

func (s *sink) deliveries(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[key]
}

var t0 = time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)

func setup(t *testing.T, st store.Store, url string, n int) (*Dispatcher, *clock.Virtual) {
	t.Helper()
	spec, _ := connectors.Lookup("webhook")
	c, err := spec.New(map[string]any{"url": url, "secret": "s"}, connectors.Options{HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewVirtual(t0)
	var ms []*store.Message
	for i := range n {
		id := "m" + string(rune('a'+i))
		ms = append(ms, &store.Message{ID: id, IdempotencyKey: id, CustomerID: "c" + string(rune('a'+i)), JourneyID: "j", FlowID: "f",
			StepID: "s", Channel: "crm", Shape: message.Webhook, Category: "transactional", Status: store.Pending, SendAt: t0, CreatedAt: t0,
			Content: message.Content{Payload: map[string]any{"n": i}}})
	}
	if err := st.InTx(context.Background(), func(tx store.Tx) error { return tx.InsertMessages(context.Background(), ms) }); err != nil {
		t.Fatal(err)
	}
	d := &Dispatcher{Store: st, Channels: map[string]*Channel{"crm": {Name: "crm", Connector: c}}, Clock: clk, Log: zerolog.Nop(),
		Concurrency: 4, MaxAttempts: 3, Lease: time.Minute, Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}
	return d, clk
}

func storedMessage(t *testing.T, st store.Store, id string) *store.Message {
	ms, err := st.Messages(context.Background(), store.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no message %s", id)
	return nil
}

func TestDeliveryRetriesAndRecordsEveryAttempt(t *testing.T) {
	st := memstore.New()
	s := newSink(t, 503, 429)
	d, clk := setup(t, st, s.server.URL, 1)
	ctx := context.Background()

	if n, err := d.RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("first round: %d %v", n, err)
	}
	m := storedMessage(t, st, "ma")
	if m.Status != store.Pending || !m.SendAt.Equal(t0.Add(time.Minute)) || m.Attempts != 1 {
		t.Fatalf("after a 503: %s at %s, %d attempts", m.Status, m.SendAt, m.Attempts)
	}
	if n, _ := d.RunOnce(ctx); n != 0 {
		t.Fatal("a message waiting for its retry was sent early")
	}
	clk.Advance(time.Minute)
	d.RunOnce(ctx)
	m = storedMessage(t, st, "ma")
	if m.Status != store.Pending || !m.SendAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("after a 429 with Retry-After 120s: %s at %s, want the provider's 2 minutes", m.Status, m.SendAt.Sub(t0))
	}
	clk.Advance(2 * time.Minute)
	d.RunOnce(ctx)
	m = storedMessage(t, st, "ma")
	if m.Status != store.Sent || m.ProviderID != "crm-1" || m.Attempts != 3 || s.deliveries("ma") != 1 {
		t.Fatalf("third attempt: %+v, deliveries %d", m, s.deliveries("ma"))
	}
	as, _ := st.Attempts(ctx, "ma")
	if len(as) != 3 || as[0].Outcome != "transient" || as[1].Outcome != "transient" || as[2].Outcome != "sent" || as[2].ProviderID != "crm-1" {
		t.Fatalf("attempts: %+v", as)
	}
	if got := d.Sent.Snapshot()["crm"]; got != 1 {
		t.Errorf("sent counter %d", got)
	}
}

func TestPermanentFailureAndGivingUp(t *testing.T) {
	st := memstore.New()
	s := newSink(t, 400, 500, 500, 500)
	d, clk := setup(t, st, s.server.URL, 2)
	ctx := context.Background()
	d.Concurrency = 1
	for range 4 {
		d.RunOnce(ctx)
		clk.Advance(time.Hour)
	}
	ms, _ := st.Messages(ctx, store.MessageFilter{Status: store.Failed})
	if len(ms) != 2 {
		t.Fatalf("failed messages: %d", len(ms))
	}
	var attempts []int
	for _, m := range ms {
		attempts = append(attempts, m.Attempts)
		if m.LastError == "" || m.Reason == "" {
			t.Errorf("a failed message records why: %+v", m)
		}
	}
	// One got the 400 at once (permanent); the other got three 500s and was given up on.
	if !(attempts[0] == 1 && attempts[1] == 3 || attempts[0] == 3 && attempts[1] == 1) {
		t.Errorf("attempts %v, want one permanent failure and one after MaxAttempts", attempts)
	}
}

// failingFinish injects a crash between the provider's answer and the commit that records it.
type failingFinish struct {
	store.Store
}

func (f failingFinish) InTx(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.InTx(ctx, func(tx store.Tx) error { return fn(crashTx{tx}) })
}

type crashTx struct{ store.Tx }

func (crashTx) FinishAttempts(context.Context, []store.Finish) error {
	return errors.New("process killed")
}

func TestALostRecordResendsWithTheSameKey(t *testing.T) {
	st := memstore.New()
	s := newSink(t)
	d, clk := setup(t, st, s.server.URL, 3)
	ctx := context.Background()
	crashed := &Dispatcher{Store: failingFinish{st}, Channels: d.Channels, Clock: clk, Log: zerolog.Nop(), Lease: d.Lease}
	if _, err := crashed.RunOnce(ctx); err == nil {
		t.Fatal("the injected crash should surface")
	}
	// While the lease holds, no other dispatcher takes the messages.
	if n, _ := d.RunOnce(ctx); n != 0 {
		t.Fatalf("%d leased messages were taken by another dispatcher", n)
	}
	clk.Advance(2 * time.Minute)
	if n, err := d.RunOnce(ctx); n != 3 || err != nil {
		t.Fatalf("after the lease: %d %v", n, err)
	}
	for _, id := range []string{"ma", "mb", "mc"} {
		if m := storedMessage(t, st, id); m.Status != store.Sent {
			t.Errorf("%s: %s", id, m.Status)
		}
		// The provider saw the message twice, both times with one idempotency key, so a receiver
		// that honours the key keeps one.
		if got := s.deliveries(id); got != 2 {
			t.Errorf("%s delivered %d times under its key", id, got)
		}
	}
}

// slowConnector is a provider that takes each send's time on the virtual clock.
type slowConnector struct {
	mu    sync.Mutex
	clk   *clock.Virtual
	took  time.Duration
	count map[string]int
}

func (c *slowConnector) Send(_ context.Context, m message.Message) (connectors.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count[m.IdempotencyKey]++
	c.clk.Advance(c.took)
	return connectors.Result{}, nil
}

func TestNoSendOutlivesItsLease(t *testing.T) {
	st := memstore.New()
	d, clk := setup(t, st, "http://127.0.0.1:1", 4)
	ctx := context.Background()
	// A minute's lease bounds a send to 30s. Each send takes 20s, one at a time: the third would
	// start at 40s and could end after the lease, when another dispatcher may have claimed it.
	slow := &slowConnector{clk: clk, took: 20 * time.Second, count: map[string]int{}}
	d.Channels["crm"].Connector = slow
	d.Concurrency, d.Batch = 1, 4
	if n, err := d.RunOnce(ctx); n != 4 || err != nil {
		t.Fatalf("first round: %d %v", n, err)
	}
	var sent, leased []string
	for _, id := range []string{"ma", "mb", "mc", "md"} {
		switch m := storedMessage(t, st, id); m.Status {
		case store.Sent:
			sent = append(sent, id)
		case store.Sending:
			leased = append(leased, id)
		default:
			t.Errorf("%s is %s", id, m.Status)
		}
	}
	if len(sent) != 2 || len(leased) != 2 {
		t.Fatalf("sent %v, still leased %v; want the two sends that fit in the lease, and two left for later", sent, leased)
	}
	// The other dispatcher takes the rest when the lease ends, and each message leaves once.
	clk.Set(t0.Add(time.Minute + time.Second))
	other := &Dispatcher{Store: st, Channels: d.Channels, Clock: clk, Log: zerolog.Nop(), Concurrency: 1, Lease: time.Minute}
	if n, err := other.RunOnce(ctx); n != 2 || err != nil {
		t.Fatalf("after the lease: %d %v", n, err)
	}
	for _, id := range []string{"ma", "mb", "mc", "md"} {
		if m := storedMessage(t, st, id); m.Status != store.Sent || slow.count[id] != 1 {
			t.Errorf("%s is %s, sent %d times; want sent once", id, m.Status, slow.count[id])
		}
	}
}

// Attempts are recorded in groups; a group holding one attempt that cannot be recorded (its
// message is gone) still records the others, so they are not sent again when their leases end.
func TestRecordingGroupSurvivesOneBadAttempt(t *testing.T) {
	st := memstore.New()
	s := newSink(t)
	d, _ := setup(t, st, s.server.URL, 3)
	d.defaults()
	ctx := context.Background()
	in := make(chan finished, 4)
	ghost := &store.Message{ID: "ghost", CustomerID: "cz", Channel: "crm", Status: store.Sent}
	in <- finished{storedMessage(t, st, "ma"), store.Attempt{MessageID: "ma", CustomerID: "ca", N: 1, At: t0, Outcome: "sent"}, make(chan struct{})}
	in <- finished{ghost, store.Attempt{MessageID: "ghost", CustomerID: "cz", N: 1, At: t0, Outcome: "sent"}, make(chan struct{})}
	in <- finished{storedMessage(t, st, "mc"), store.Attempt{MessageID: "mc", CustomerID: "cc", N: 1, At: t0, Outcome: "sent"}, make(chan struct{})}
	close(in)
	if err := d.record(ctx, in); err == nil {
		t.Error("recording an attempt of a message the outbox never had reported no error")
	}
	for _, id := range []string{"ma", "mc"} {
		if as, _ := st.Attempts(ctx, id); len(as) != 1 || as[0].Outcome != "sent" {
			t.Errorf("attempts of %s: %+v, want the one sent attempt", id, as)
		}
	}
	if as, _ := st.Attempts(ctx, "mb"); len(as) != 0 {
		t.Errorf("attempts of mb, never sent: %+v", as)
	}
}

// gatedStore holds every transaction after the first until the test opens the gate: the
// dispatcher's claim goes through, the recording of its attempts waits.
type gatedStore struct {
	store.Store
	mu    sync.Mutex
	calls int
	gate  chan struct{}
}

func (g *gatedStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	g.mu.Lock()
	g.calls++
	n := g.calls
	g.mu.Unlock()
	if n > 1 {
		<-g.gate
	}
	return g.Store.InTx(ctx, fn)
}

// countingConnector counts sends and says when each one starts.
type countingConnector struct {
	mu      sync.Mutex
	n       int
	started chan string
}

func (c *countingConnector) Send(_ context.Context, m message.Message) (connectors.Result, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.started <- m.ID
	return connectors.Result{}, nil
}

// A worker takes its next message only once the attempt it made is recorded: a process killed
// then forgets at most one send per worker, so a restart repeats at most Concurrency messages.
func TestNoNewSendWhileAnAttemptIsUnrecorded(t *testing.T) {
	mem := memstore.New()
	_, _ = setup(t, mem, "http://127.0.0.1:1", 3)
	st := &gatedStore{Store: mem, gate: make(chan struct{})}
	conn := &countingConnector{started: make(chan string, 3)}
	d := &Dispatcher{Store: st, Channels: map[string]*Channel{"crm": {Name: "crm", Connector: conn}}, Clock: clock.NewVirtual(t0),
		Log: zerolog.Nop(), Concurrency: 1, Batch: 3, Lease: time.Minute}
	done := make(chan error, 1)
	go func() { _, err := d.RunOnce(context.Background()); done <- err }()
	first := <-conn.started
	select {
	case id := <-conn.started:
		t.Errorf("%s was sent while the attempt of %s was not yet recorded", id, first)
	case <-time.After(300 * time.Millisecond):
	}
	close(st.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ma", "mb", "mc"} {
		if m := storedMessage(t, mem, id); m.Status != store.Sent {
			t.Errorf("%s is %s; want sent", id, m.Status)
		}
	}
	if conn.n != 3 {
		t.Errorf("%d sends; want 3", conn.n)
	}
}

type closingConnector struct {
	connectors.Connector
	closed int
}

func (c *closingConnector) Close() error { c.closed++; return nil }

func TestCloseReleasesTheConnectors(t *testing.T) {
	kept := &closingConnector{Connector: &slowConnector{}}
	d := &Dispatcher{Channels: map[string]*Channel{"email": {Name: "email", Connector: kept}, "sms": {Name: "sms", Connector: &slowConnector{}}}}
	d.Close()
	if kept.closed != 1 {
		t.Errorf("a connector that keeps sessions open was closed %d times; want once", kept.closed)
	}
}

// stopDuringClaim is a store on which the dispatcher is told to stop while its first transaction,
// the claim, commits: the commit went through, and its answer, raced by the cancellation, reads as
// cancelled (what pgx reports when a context ends while a COMMIT is on the wire).
type stopDuringClaim struct {
	store.Store
	stop context.CancelFunc
	once sync.Once
}

func (s *stopDuringClaim) InTx(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.InTx(ctx, fn)
	s.once.Do(s.stop)
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// A dispatcher told to stop as its claim commits sends what it claimed: left leased, those
// messages would wait for the lease to end (two minutes by default) before anyone sent them.
func TestAClaimThatCommitsAsTheDispatcherStopsIsSent(t *testing.T) {
	mem := memstore.New()
	s := newSink(t)
	d, _ := setup(t, mem, s.server.URL, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.Store = &stopDuringClaim{Store: mem, stop: cancel}
	if n, err := d.RunOnce(ctx); n != 3 || err != nil {
		t.Errorf("the round stopped as its claim committed: %d messages, %v; want 3 sent", n, err)
	}
	for _, id := range []string{"ma", "mb", "mc"} {
		if m := storedMessage(t, mem, id); m.Status != store.Sent || s.deliveries(id) != 1 {
			t.Errorf("%s: %s, %d deliveries; want sent once", id, m.Status, s.deliveries(id))
		}
	}
	// Once stopped, it claims nothing more.
	if n, err := d.RunOnce(ctx); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("a round after the stop: %d messages, %v; want none and context.Canceled", n, err)
	}
}

// A dispatcher told to stop while a claimed message waits for its channel's rate gives it back:
// pending and claimable at once by the next process, no attempt counted, instead of leased until
// the lease ends.
func TestAStopWhileAMessageWaitsForTheRateGivesItBack(t *testing.T) {
	mem := memstore.New()
	s := newSink(t)
	d, _ := setup(t, mem, s.server.URL, 2)
	d.Channels["crm"].Every, d.Channels["crm"].Burst = 5*time.Second, 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for s.deliveries("ma")+s.deliveries("mb") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // the other one now waits its turn, 5 s away
		cancel()
	}()
	began := time.Now()
	if n, err := d.RunOnce(ctx); n != 2 || err != nil {
		t.Errorf("the round: %d messages, %v; want 2 handled and no error", n, err)
	}
	if took := time.Since(began); took > 4*time.Second {
		t.Errorf("the round took %s: it waited out the rate after the stop", took)
	}
	sent, back := storedMessage(t, mem, "ma"), storedMessage(t, mem, "mb")
	if sent.Status != store.Sent {
		sent, back = back, sent
	}
	if sent.Status != store.Sent || s.deliveries(sent.ID) != 1 {
		t.Errorf("%s: %s; want one message sent before the stop", sent.ID, sent.Status)
	}
	if back.Status != store.Pending || !back.LeaseUntil.IsZero() || back.Attempts != 0 || s.deliveries(back.ID) != 0 {
		t.Errorf("%s after the stop: %s, lease %v, %d attempts, %d deliveries; want given back untried",
			back.ID, back.Status, back.LeaseUntil, back.Attempts, s.deliveries(back.ID))
	}
}
