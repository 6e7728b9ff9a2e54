package sources_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
	"github.com/afterglowhq/afterglow/sources/httpapi"
	"github.com/afterglowhq/afterglow/sources/shopify"
)

// sinkFunc lets a function be the sink of a test.
type sinkFunc func(ctx context.Context, events []event.Event) error

func (f sinkFunc) Submit(ctx context.Context, events []event.Event) error { return f(ctx, events) }

func sized(n int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", int(max(n, 0)))))
	r.ContentLength = n
	return r
}

// Bodies hold at most the budget: a request that would pass it waits briefly, then is turned away.
func TestBudgetBoundsBodiesInFlight(t *testing.T) {
	b := sources.NewBudget(1000, 50*time.Millisecond)
	first, err := b.Reserve(sized(600), 5000)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if _, err := b.Reserve(sized(600), 5000); !errors.Is(err, sources.ErrBusy) {
		t.Fatalf("600 bytes on top of 600 in a budget of 1000: %v; want ErrBusy", err)
	}
	if waited := time.Since(began); waited > 2*time.Second {
		t.Errorf("turned away after %s; want about the 50ms wait", waited)
	}
	small, err := b.Reserve(sized(400), 5000)
	if err != nil {
		t.Errorf("400 bytes fit beside 600: %v", err)
	}
	first()
	first() // releasing twice gives back once
	small()
	if _, err := b.Reserve(sized(-1), 5000); err != nil {
		t.Errorf("a body of unknown length reserves the whole budget when the limit is larger: %v", err)
	}
	if _, err := b.Reserve(sized(1), 5000); !errors.Is(err, sources.ErrBusy) {
		t.Errorf("the whole budget held by a body of unknown length: %v; want ErrBusy", err)
	}
}

// A signed Shopify delivery that finds the budget full is answered 503 with Retry-After and never
// read; an unsigned one is refused before it is read at all.
func TestWebhookBodiesWaitForTheBudget(t *testing.T) {
	budget := sources.NewBudget(1<<20, 20*time.Millisecond)
	hold, err := budget.Reserve(sized(1<<20), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer hold()
	h, err := shopify.New(sinkFunc(func(context.Context, []event.Event) error { return nil }),
		shopify.Config{Secret: "s", Shop: "a.myshopify.com", Budget: budget})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id": 1}`)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64("s", body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("a delivery with the budget full: %d (Retry-After %q) %s; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	unsigned := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", &endless{})
	unsigned.ContentLength = -1
	w = httptest.NewRecorder()
	h.ServeHTTP(w, unsigned)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("an unsigned delivery: %d; want 401 before its body is read", w.Code)
	}
}

// endless is a body that never ends: reading it would hang the test.
type endless struct{}

func (*endless) Read(p []byte) (int, error) { select {} }

// logLines counts the lines written to it.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

// Wrong signatures are counted one by one and logged at most once per period, with their count.
func TestWrongSignaturesAreCountedNotEachLogged(t *testing.T) {
	lines := &logLines{}
	refused := sources.NewAuthFailures(zerolog.New(lines), time.Hour)
	h, err := shopify.New(sinkFunc(func(context.Context, []event.Event) error { return nil }),
		shopify.Config{Secret: "s", Shop: "a.myshopify.com", AuthFailures: refused})
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", strings.NewReader(`{}`))
		req.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64("not-the-secret", []byte(`{}`)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("a wrong signature: %d; want 401", w.Code)
		}
	}
	if refused.Total() != 500 {
		t.Errorf("counted %d refused deliveries; want 500", refused.Total())
	}
	if len(lines.lines) != 1 {
		t.Errorf("500 wrong signatures in an hour wrote %d log lines; want 1", len(lines.lines))
	}
}

// The throttle's line after a quiet period says how many were refused meanwhile.
func TestThrottleCountsBetweenLines(t *testing.T) {
	lines := &logLines{}
	th := sources.NewThrottle(zerolog.New(lines), zerolog.WarnLevel, "refused", 30*time.Millisecond)
	for range 10 {
		th.Note("last", "x")
	}
	time.Sleep(40 * time.Millisecond)
	th.Note("last", "y")
	if len(lines.lines) != 2 {
		t.Fatalf("lines %q; want one at the first note and one after the period", lines.lines)
	}
	var second struct {
		Count int64  `json:"count"`
		Last  string `json:"last"`
	}
	if err := json.Unmarshal([]byte(lines.lines[1]), &second); err != nil || second.Count != 10 || second.Last != "y" {
		t.Errorf("second line %s: want count 10 (9 held back and this one) and last y", lines.lines[1])
	}
}

// A database that hangs holds no sender beyond the deadline: it is answered 503 with Retry-After.
func TestDeadlineAnswersAHungCommit(t *testing.T) {
	hung := sinkFunc(func(ctx context.Context, _ []event.Event) error {
		<-ctx.Done() // the commit never comes
		return ctx.Err()
	})
	h, err := httpapi.New(hung, httpapi.Config{Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sources.WithDeadline(h, 100*time.Millisecond))
	defer srv.Close()
	ev := `{"specversion":"1.0","id":"e1","source":"s","type":"customer.updated","subject":"c1","time":"` + time.Now().UTC().Format(time.RFC3339) + `","data":{}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(ev))
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("Authorization", "Bearer t")
	began := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a commit that never comes: %d (Retry-After %q); want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("answered after %s; want about the 100ms deadline", took)
	}
}
