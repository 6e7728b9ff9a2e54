package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

const (
	secret     = "shpss_test_secret"
	oldSecret  = "shpss_rotated_secret"
	shop       = "jsmith.myshopify.com"
	webhookID  = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"
	triggerAt  = "2023-03-29T18:00:27.877041743Z"
	testPrefix = "shopify/" + shop + "/"
)

var testNow = time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)

// recorder is the sink of these tests. It keeps every batch, and answers which customer placed an
// order from the order.placed events it was given, as a sink with the event history does.
type recorder struct {
	mu         sync.Mutex
	batches    [][]event.Event
	placed     map[string]string
	fail       error
	lookupFail error
}

func (r *recorder) Submit(_ context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.batches = append(r.batches, evs)
	for _, e := range evs {
		if e.Type == event.OrderPlaced {
			if r.placed == nil {
				r.placed = map[string]string{}
			}
			r.placed[e.Source+" "+e.Data["order_id"].(string)] = e.Subject
		}
	}
	return nil
}

func (r *recorder) CustomerOfOrder(_ context.Context, source, orderID string) (string, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lookupFail != nil {
		return "", false, r.lookupFail
	}
	c, ok := r.placed[source+" "+orderID]
	return c, ok, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

func (r *recorder) last(t *testing.T) []event.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.batches) == 0 {
		t.Fatal("nothing was submitted")
	}
	return r.batches[len(r.batches)-1]
}

// submitOnly hides the recorder's order lookup, as a sink without an event history would.
type submitOnly struct{ r *recorder }

func (s submitOnly) Submit(ctx context.Context, evs []event.Event) error { return s.r.Submit(ctx, evs) }

// logs collects what the handler logs at info level and above.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newHandler(t *testing.T, sink sources.Sink, log *logs) *Handler {
	t.Helper()
	// Shopify's sample orders are test orders: these tests take them as real ones.
	cfg := Config{Secret: secret, PreviousSecret: oldSecret, Shop: shop, TestOrders: true, Now: func() time.Time { return testNow }}
	if log != nil {
		cfg.Logger = zerolog.New(log).Level(zerolog.InfoLevel)
	}
	h, err := New(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// request is a delivery as Shopify makes it; edit its headers to break it.
func request(topic string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64(secret, body))
	req.Header.Set("X-Shopify-Shop-Domain", shop)
	req.Header.Set("X-Shopify-API-Version", "2026-07")
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	req.Header.Set("X-Shopify-Triggered-At", triggerAt)
	req.Header.Set("X-Shopify-Event-Id", "98880550-7158-44d4-b7cd-2c97c8a091b5")
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func send(t *testing.T, h http.Handler, topic string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	w := serve(h, request(topic, body))
	if w.Code != http.StatusOK {
		t.Fatalf("%s: got %d %s", topic, w.Code, w.Body)
	}
	return w
}

func payload(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unwrap takes a resource out of a REST fixture's envelope ({"order": ...}, {"customer": ...} or
// {"customers": [...]}); webhooks send the resource bare.
func unwrap(t *testing.T, b []byte, key string) [][]byte {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if one, ok := env[key]; ok {
		return [][]byte{one}
	}
	var many []json.RawMessage
	if err := json.Unmarshal(env[key+"s"], &many); err != nil || len(many) == 0 {
		t.Fatalf("no %q nor %q in the fixture", key, key+"s")
	}
	out := make([][]byte, len(many))
	for i, m := range many {
		out[i] = m
	}
	return out
}

// edit decodes a payload, lets f change it, and encodes it again, numbers kept exact.
func edit(t *testing.T, b []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := sources.DecodeJSON(b, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func answerOf(t *testing.T, w *httptest.ResponseRecorder) sources.ErrorBody {
	t.Helper()
	var b sources.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("answer is not JSON: %q", w.Body)
	}
	return b
}

func ids(evs []event.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.ID)
	}
	return strings.Join(s, " ")
}
