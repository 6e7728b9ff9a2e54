package woocommerce

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
	secret     = "wc-test-secret"
	site       = "https://example.com/"
	deliveryID = "d1f8a2c4-1"
	testPrefix = "woocommerce/example.com/"
)

var testNow = time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)

// recorder is the sink of these tests: it keeps every batch, or fails on demand.
type recorder struct {
	mu      sync.Mutex
	batches [][]event.Event
	fail    error
}

func (r *recorder) Submit(_ context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.batches = append(r.batches, evs)
	return nil
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
	cfg := Config{Secret: secret, Now: func() time.Time { return testNow }}
	if log != nil {
		cfg.Logger = zerolog.New(log).Level(zerolog.InfoLevel)
	}
	h, err := New(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// request is a delivery as WooCommerce makes it; edit its headers to break it.
func request(topic string, body []byte) *http.Request {
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	resource, ev, _ := strings.Cut(topic, ".")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "WooCommerce/9.4.0 Hookshot (WordPress/6.7)")
	req.Header.Set("X-WC-Webhook-Source", site)
	req.Header.Set("X-WC-Webhook-Topic", topic)
	req.Header.Set("X-WC-Webhook-Resource", resource)
	req.Header.Set("X-WC-Webhook-Event", ev)
	req.Header.Set("X-WC-Webhook-Signature", sources.SignBase64(secret, body))
	req.Header.Set("X-WC-Webhook-ID", "12")
	req.Header.Set("X-WC-Webhook-Delivery-ID", deliveryID)
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

func withStatus(t *testing.T, name, status string) []byte {
	return edit(t, payload(t, name), func(m map[string]any) { m["status"] = status })
}

func answerOf(t *testing.T, w *httptest.ResponseRecorder) sources.ErrorBody {
	t.Helper()
	var b sources.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("answer is not JSON: %q", w.Body)
	}
	return b
}

func types(evs []event.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Type)
	}
	return strings.Join(s, " ")
}

func ids(evs []event.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.ID)
	}
	return strings.Join(s, " ")
}
