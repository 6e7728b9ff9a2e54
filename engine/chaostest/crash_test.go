package chaostest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestCrashRestart kills the engine process with SIGKILL at random moments while it ingests,
// runs timers and schedules and delivers messages to a webhook, restarts it each time, and then
// compares everything it left with an uninterrupted run of the same events: journeys, messages,
// customers and events must be identical, and every message delivered, more than once only under
// its own idempotency key (a kill between the webhook's answer and the commit that records it).
//
//	go test ./engine/chaostest -run CrashRestart -v
func TestCrashRestart(t *testing.T) {
	url := reachable(t)
	customers := envInt("AFTERGLOW_CHAOS_CRASH_CUSTOMERS", 400)
	kills := envInt("AFTERGLOW_CHAOS_KILLS", 10)
	if testing.Short() {
		customers = min(customers, 200)
	}
	w := generate(customers, 2)
	r := rand.New(rand.NewPCG(3, 5))
	// One file for both runs: each step's events with the customers interleaved at random.
	groups := w.stepGroups()
	var steps []int
	for s := range groups {
		steps = append(steps, s)
	}
	sort.Ints(steps)
	var lines []eventLine
	for _, s := range steps {
		for _, ev := range interleave(groups[s], r) {
			lines = append(lines, eventLine{Step: s, Event: ev})
		}
	}
	sink := &webhookSink{got: map[string][]delivery{}}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	began := time.Now()
	killed := crashRun(t, url, lines, steps, srv.URL, "killed", kills, r)
	midway := time.Now()
	ref := crashRun(t, url, lines, steps, srv.URL, "reference", 0, r)
	if t.Failed() {
		return
	}
	for i, d := range diffLines("record", killed.Rows, ref.Rows) {
		if i == 40 {
			t.Error("... and more")
			break
		}
		t.Errorf("after kills vs uninterrupted: %s", d)
	}
	for _, d := range w.check(killed.snapshot, true, 10) {
		t.Errorf("after kills: %s", d)
	}
	for _, d := range w.check(ref.snapshot, true, 10) {
		t.Errorf("uninterrupted: %s", d)
	}
	repeats := sink.verify(t, "killed", killed.messages, true)
	if n := sink.verify(t, "reference", ref.messages, false); n != 0 {
		t.Errorf("the uninterrupted run delivered %d messages more than once", n)
	}
	t.Logf("%d customers, %d event lines; %d kills (%d lives); %d records compared; %d messages, %d deliveries repeated "+
		"after kills, each under its own idempotency key; %s with kills, %s uninterrupted",
		customers, len(lines), killed.kills, killed.lives, len(ref.Rows), len(ref.messages), repeats,
		midway.Sub(began).Round(time.Millisecond), time.Since(midway).Round(time.Millisecond))
}

// crashResult is a run's snapshot with what the test needs besides.
type crashResult struct {
	*snapshot
	messages     []*store.Message
	kills, lives int
}

// crashRun runs the events through worker processes on a fresh schema, killing one after another
// after random delays (kills of them), and then lets the last one finish.
func crashRun(t *testing.T, url string, lines []eventLine, eventSteps []int, sinkURL, name string, kills int, r *rand.Rand) *crashResult {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	settings := fmt.Sprintf(`flows: [flows]
templates: [templates]
timezone: America/Lima
secret: chaos-unsubscribe
channels:
  email: {connector: webhook, with: {url: "%s/%s", secret: chaos}}
`, sinkURL, name)
	if _, err := writeWorkspace(dir, settings); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "events.ndjson"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	st, drop, err := pgstore.OpenFresh(ctx, url, "afterglow_crash_", pgstore.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop the test schema: %v", err)
		}
	})
	pool := st.Pool()
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(strings.TrimSpace(controlTables), "\n") {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}

	w := &worker{env: append(os.Environ(), workerEnv+"="+dir, workerURL+"="+url, workerSchema+"="+schema)}
	if err := w.start(); err != nil {
		t.Fatal(err)
	}
	defer w.stop()
	killerDone := make(chan struct{})
	stopKiller := make(chan struct{})
	go func() {
		defer close(killerDone)
		for range kills {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(50+r.IntN(950)) * time.Millisecond):
			}
			if err := w.killAndRestart(); err != nil {
				w.fail(err)
				return
			}
		}
	}()

	k, next := eventSteps[0], 1
	for {
		if _, err := pool.Exec(ctx, `UPDATE chaos_clock SET step = $1`, k); err != nil {
			t.Fatal(err)
		}
		nextDue, err := w.waitDone(ctx, pool, k)
		if err != nil {
			close(stopKiller)
			<-killerDone
			t.Fatalf("%s run, step %d: %v\nworker output:\n%s", name, k, err, w.output())
		}
		for next < len(eventSteps) && eventSteps[next] <= k {
			next++
		}
		nk := -1
		if next < len(eventSteps) {
			nk = eventSteps[next]
		}
		if nextDue >= 0 && (nk < 0 || nextDue < nk) {
			nk = nextDue
		}
		if nk < 0 {
			// Nothing is due any more, but a message leased by a killed process waits for its lease
			// to expire: one more step lets it go.
			var left int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status IN ('pending', 'sending')`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				break
			}
			nk = k + 1
		}
		k = nk
	}
	close(stopKiller)
	<-killerDone
	if _, err := pool.Exec(ctx, `UPDATE chaos_clock SET step = $1`, stopStep); err != nil {
		t.Fatal(err)
	}
	if err := w.waitExit(30 * time.Second); err != nil {
		t.Fatalf("%s run: %v\nworker output:\n%s", name, err, w.output())
	}
	if out := w.output(); strings.Contains(out, `"level":"warn"`) || strings.Contains(out, `"level":"error"`) {
		t.Errorf("%s run: the engine logged problems:\n%s", name, out)
	}
	snap, err := readSnapshot(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.Messages(ctx, store.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return &crashResult{snapshot: snap, messages: ms, kills: w.kills, lives: w.lives}
}

// worker is the engine process of a run, restarted after each kill.
type worker struct {
	env []string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	killing bool
	failed  error
	out     lockedBuffer
	kills   int
	lives   int
}

func (w *worker) start() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.startLocked()
}

func (w *worker) startLocked() error {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = &w.out, &w.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the engine process: %w", err)
	}
	exited := make(chan struct{})
	w.cmd, w.exited, w.exitErr, w.killing = cmd, exited, nil, false
	w.lives++
	go func() {
		err := cmd.Wait()
		w.mu.Lock()
		if w.cmd == cmd {
			w.exitErr = err
		}
		w.mu.Unlock()
		close(exited)
	}()
	return nil
}

func (w *worker) killAndRestart() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.exited:
		return nil // it ended on its own; waitDone reports why
	default:
	}
	w.killing = true
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	w.mu.Unlock()
	<-w.exited
	w.mu.Lock()
	w.kills++
	fmt.Fprintf(&w.out, "--- killed (kill %d)\n", w.kills)
	return w.startLocked()
}

func (w *worker) fail(err error) {
	w.mu.Lock()
	w.failed = err
	w.mu.Unlock()
}

// problem says why the worker cannot go on: it exited by itself, or could not be restarted.
func (w *worker) problem() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return w.failed
	}
	select {
	case <-w.exited:
		if !w.killing {
			return fmt.Errorf("the engine process exited by itself: %v", w.exitErr)
		}
	default:
	}
	return nil
}

// waitDone waits for the worker to report step done, and returns the next due step (-1: none).
func (w *worker) waitDone(ctx context.Context, pool *pgxpool.Pool, step int) (int, error) {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if err := w.problem(); err != nil {
			return 0, err
		}
		var done, next int
		if err := pool.QueryRow(ctx, `SELECT done, next_due FROM chaos_progress`).Scan(&done, &next); err != nil {
			return 0, err
		}
		if done == step {
			return next, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the engine process did not finish the step in three minutes")
		}
		time.Sleep(time.Millisecond)
	}
}

func (w *worker) waitExit(d time.Duration) error {
	w.mu.Lock()
	exited := w.exited
	w.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(d):
		return fmt.Errorf("the engine process did not exit when told to")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.exitErr != nil {
		return fmt.Errorf("the engine process failed: %v", w.exitErr)
	}
	return nil
}

func (w *worker) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.exited:
	default:
		w.killing = true
		_ = w.cmd.Process.Kill()
	}
}

func (w *worker) output() string {
	s := w.out.String()
	if len(s) > 20000 {
		s = "...\n" + s[len(s)-20000:]
	}
	return s
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// webhookSink is the webhook endpoint: it records each delivery by its Idempotency-Key.
type webhookSink struct {
	mu  sync.Mutex
	got map[string][]delivery // by run, in arrival order
}

type delivery struct {
	Key, MessageID string
}

func (s *webhookSink) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.ID == "" {
		http.Error(rw, "want a JSON message with an id", http.StatusBadRequest)
		return
	}
	run := strings.TrimPrefix(req.URL.Path, "/")
	s.mu.Lock()
	s.got[run] = append(s.got[run], delivery{Key: req.Header.Get("Idempotency-Key"), MessageID: m.ID})
	s.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(rw, `{"id": "sink-%s"}`, m.ID)
}

// verify checks a run's deliveries against its messages and returns how many were repeats.
func (s *webhookSink) verify(t *testing.T, run string, ms []*store.Message, mayRepeat bool) int {
	t.Helper()
	s.mu.Lock()
	ds := append([]delivery(nil), s.got[run]...)
	s.mu.Unlock()
	byKey := map[string]*store.Message{}
	for _, m := range ms {
		byKey[m.IdempotencyKey] = m
	}
	count := map[string]int{}
	for _, d := range ds {
		m := byKey[d.Key]
		switch {
		case m == nil:
			t.Errorf("%s run: a delivery under key %q, which no message has", run, d.Key)
		case m.ID != d.MessageID:
			t.Errorf("%s run: message %s delivered under the key of message %s", run, d.MessageID, m.ID)
		case m.Status == store.Skipped:
			t.Errorf("%s run: skipped message %s was delivered", run, m.ID)
		}
		count[d.Key]++
	}
	repeats := 0
	for _, m := range ms {
		if m.Status == store.Skipped {
			continue
		}
		n := count[m.IdempotencyKey]
		if n == 0 {
			t.Errorf("%s run: message %s (%s/%s of %s, %s) was never delivered", run, m.ID, m.FlowID, m.StepID, m.CustomerID, m.Status)
		}
		if n > 1 {
			repeats += n - 1
			if !mayRepeat {
				t.Errorf("%s run: message %s delivered %d times", run, m.ID, n)
			}
		}
	}
	return repeats
}
