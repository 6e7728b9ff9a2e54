package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/sources"
)

// recorder is the sink of these tests: it keeps every batch it was given, or fails on demand. It
// refuses events that do not fit the canonical catalog, as the engine does.
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
	if err := catalog.Canonical().CheckBatch(evs); err != nil {
		return err
	}
	r.batches = append(r.batches, evs)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

const token = "s3cret-token"

const placed = `{"specversion":"1.0","id":"ord-1001","source":"shop","type":"order.placed","subject":"820982911946154508",
 "time":"2025-10-14T15:00:00-05:00","data":{"order_id":"1001","total":404.95,"currency":"USD","items":[{"sku":"A","quantity":1,"price":"404.95"}]}}`

const consent = `{"specversion":"1.0","id":"c-1","source":"shop","type":"consent.updated","subject":"laura@example.com",
 "time":"2025-10-14T15:00:00Z","data":{"channel":"email","granted":true}}`

func newHandler(t *testing.T, sink sources.Sink, cfg Config) *Handler {
	t.Helper()
	if cfg.Token == "" && !cfg.AllowNoToken {
		cfg.Token = token
	}
	h, err := New(sink, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func post(h http.Handler, contentType, auth, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func answer(t *testing.T, w *httptest.ResponseRecorder) sources.ErrorBody {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("answer content type %q, want application/json", ct)
	}
	var b sources.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatalf("answer is not JSON: %q", w.Body.String())
	}
	return b
}

func TestSingleEventAccepted(t *testing.T) {
	for _, ct := range []string{ContentTypeEvent, ContentTypeJSON, "application/json; charset=utf-8"} {
		sink := &recorder{}
		w := post(newHandler(t, sink, Config{}), ct, "Bearer "+token, placed)
		if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"accepted":1}` {
			t.Fatalf("%s: got %d %s", ct, w.Code, w.Body)
		}
		if sink.count() != 1 || len(sink.batches[0]) != 1 {
			t.Fatalf("%s: submitted %v", ct, sink.batches)
		}
		e := sink.batches[0][0]
		if e.ID != "ord-1001" || e.Subject != "820982911946154508" || e.Data["total"] != json.Number("404.95") {
			t.Errorf("%s: event changed on the way: %+v", ct, e)
		}
	}
}

func TestBatchAccepted(t *testing.T) {
	sink := &recorder{}
	w := post(newHandler(t, sink, Config{}), ContentTypeBatch, "bearer "+token, "["+placed+","+consent+"]")
	if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"accepted":2}` {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	if sink.count() != 1 || len(sink.batches[0]) != 2 || sink.batches[0][1].Type != event.ConsentUpdated {
		t.Fatalf("one batch of two events expected, got %v", sink.batches)
	}
}

func TestToken(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{})
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic " + token, token} {
		w := post(h, ContentTypeEvent, auth, placed)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: got %d, want 401", auth, w.Code)
		}
		if b := answer(t, w); !strings.Contains(b.Error, "bearer token") {
			t.Errorf("Authorization %q: error %q does not say what is wrong", auth, b.Error)
		}
		if w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
	if sink.count() != 0 {
		t.Fatal("unauthorized requests reached the sink")
	}
}

func TestNoTokenNeedsExplicitPermission(t *testing.T) {
	if _, err := New(&recorder{}, Config{}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("New without a token: %v", err)
	}
	sink := &recorder{}
	h := newHandler(t, sink, Config{AllowNoToken: true})
	if w := post(h, ContentTypeEvent, "", placed); w.Code != http.StatusAccepted {
		t.Fatalf("development handler refused an event: %d %s", w.Code, w.Body)
	}
	if _, err := New(nil, Config{Token: token}); err == nil {
		t.Fatal("New without a sink must fail")
	}
}

func TestWrongContentType(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{})
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/cloudevents+xml", "garbage;;"} {
		w := post(h, ct, "Bearer "+token, placed)
		if w.Code != http.StatusUnsupportedMediaType {
			t.Errorf("content type %q: got %d, want 415", ct, w.Code)
		}
		if b := answer(t, w); !strings.Contains(b.Error, ContentTypeBatch) {
			t.Errorf("content type %q: the error should list what is accepted: %q", ct, b.Error)
		}
	}
	if sink.count() != 0 {
		t.Fatal("a refused request reached the sink")
	}
}

func TestOversizeBody(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{MaxBody: 100})
	if w := post(h, ContentTypeEvent, "Bearer "+token, placed); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("announced length over the limit: got %d, want 413", w.Code)
	}
	// Without a Content-Length the limit must still hold while reading.
	req := httptest.NewRequest(http.MethodPost, Path, io.MultiReader(strings.NewReader(placed)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", ContentTypeEvent)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("streamed body over the limit: got %d, want 413", w.Code)
	}
	if sink.count() != 0 {
		t.Fatal("an oversize body reached the sink")
	}
	if w := post(newHandler(t, sink, Config{}), ContentTypeEvent, "Bearer "+token, placed); w.Code != http.StatusAccepted {
		t.Errorf("the default limit refused a small event: %d", w.Code)
	}
}

func TestTruncatedJSON(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{})
	for ct, body := range map[string]string{ContentTypeEvent: placed[:80], ContentTypeBatch: "[" + placed + "," + consent[:40]} {
		w := post(h, ct, "Bearer "+token, body)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("%s: got %d, want 400", ct, w.Code)
		}
		if b := answer(t, w); !strings.Contains(b.Error, "truncated") {
			t.Errorf("%s: the error should say the body is truncated: %q", ct, b.Error)
		}
	}
	if sink.count() != 0 {
		t.Fatal("a truncated body reached the sink")
	}
}

// shortBody ends before the announced Content-Length, as a connection cut in transit does.
type shortBody struct{ r io.Reader }

func (s shortBody) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
func (shortBody) Close() error { return nil }

func TestBodyCutInTransit(t *testing.T) {
	sink := &recorder{}
	req := httptest.NewRequest(http.MethodPost, Path, nil)
	req.Body = shortBody{strings.NewReader(placed[:50])}
	req.ContentLength = int64(len(placed))
	req.Header.Set("Content-Type", ContentTypeEvent)
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	newHandler(t, sink, Config{}).ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest || !strings.Contains(answer(t, w).Error, "Content-Length") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
}

func TestBadEventRejectsWholeBatch(t *testing.T) {
	sink := &recorder{}
	bad := strings.Replace(strings.Replace(placed, `"total":404.95`, `"total":"lots"`, 1), `"id":"ord-1001",`, ``, 1)
	badTime := strings.Replace(consent, `"2025-10-14T15:00:00Z"`, `"yesterday"`, 1)
	w := post(newHandler(t, sink, Config{}), ContentTypeBatch, "Bearer "+token, "["+consent+","+bad+","+badTime+"]")
	if w.Code != http.StatusBadRequest {
		t.Fatalf("got %d, want 400", w.Code)
	}
	if sink.count() != 0 {
		t.Fatal("part of a bad batch was submitted")
	}
	b := answer(t, w)
	got := map[string]bool{}
	for _, p := range b.Problems {
		got[strings.Join([]string{string(rune('0' + p.Index)), p.Field}, " ")] = true
		if p.Message == "" {
			t.Errorf("problem without a message: %+v", p)
		}
	}
	for _, want := range []string{"1 id", "1 data.total", "2 time"} {
		if !got[want] {
			t.Errorf("problem %q not reported; got %+v", want, b.Problems)
		}
	}
	if len(b.Problems) != 3 {
		t.Errorf("want exactly 3 problems, got %+v", b.Problems)
	}
	if !strings.Contains(b.Error, "nothing was accepted") {
		t.Errorf("the error should say nothing was accepted: %q", b.Error)
	}
}

func TestSingleInvalidEvent(t *testing.T) {
	sink := &recorder{}
	w := post(newHandler(t, sink, Config{}), ContentTypeEvent, "Bearer "+token, `{"specversion":"1.0","type":"order.placed"}`)
	b := answer(t, w)
	if w.Code != http.StatusBadRequest || len(b.Problems) < 5 || b.Problems[0].Index != 0 {
		t.Fatalf("got %d %+v", w.Code, b)
	}
	if sink.count() != 0 {
		t.Fatal("an invalid event was submitted")
	}
}

// TestSinkRefusal: what the sink refuses as not fitting (here, a workspace's own type) is a 400
// listing every problem with its event's index, not a 503 that would make the sender retry.
func TestSinkRefusal(t *testing.T) {
	sink := &recorder{fail: &event.Refused{Problems: []event.Indexed{
		{Index: 1, Problem: event.Problem{Field: "data.skin_type", Message: `must be one of dry, oily, got "wet"`}},
		{Index: 1, Problem: event.Problem{Field: "data.concerns", Message: "must be a list, got a string"}},
	}}}
	w := post(newHandler(t, sink, Config{}), ContentTypeBatch, "Bearer "+token, "["+placed+","+consent+"]")
	b := answer(t, w)
	if w.Code != http.StatusBadRequest || len(b.Problems) != 2 || b.Problems[0].Index != 1 || b.Problems[1].Field != "data.concerns" {
		t.Fatalf("got %d %+v", w.Code, b)
	}
	if !strings.Contains(b.Error, "nothing was accepted") || w.Header().Get("Retry-After") != "" {
		t.Errorf("a refusal must say nothing was accepted and not ask for a retry: %q", b.Error)
	}
}

func TestShapeMismatch(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{})
	cases := []struct{ ct, body, says string }{
		{ContentTypeEvent, "[" + placed + "]", ContentTypeBatch},
		{ContentTypeBatch, placed, "array"},
		{ContentTypeEvent, placed + placed, "more than one"},
		{ContentTypeEvent, "", "empty"},
		{ContentTypeEvent, "{nope}", "not valid JSON"},
	}
	for _, c := range cases {
		w := post(h, c.ct, "Bearer "+token, c.body)
		if w.Code != http.StatusBadRequest || !strings.Contains(answer(t, w).Error, c.says) {
			t.Errorf("%s %.30q: got %d %s, want 400 saying %q", c.ct, c.body, w.Code, w.Body, c.says)
		}
	}
	if sink.count() != 0 {
		t.Fatal("a refused body reached the sink")
	}
}

func TestSubmitFailureIsRetryable(t *testing.T) {
	sink := &recorder{fail: errors.New("database is down")}
	w := post(newHandler(t, sink, Config{}), ContentTypeBatch, "Bearer "+token, "["+placed+"]")
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d, want 503", w.Code)
	}
	if b := answer(t, w); !strings.Contains(b.Error, "retry") || strings.Contains(b.Error, "database") {
		t.Errorf("the 503 should say to retry without leaking internals: %q", b.Error)
	}
}

func TestEmptyBatch(t *testing.T) {
	sink := &recorder{}
	w := post(newHandler(t, sink, Config{}), ContentTypeBatch, "Bearer "+token, "[]")
	if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"accepted":0}` || sink.count() != 0 {
		t.Fatalf("got %d %s, %d batches", w.Code, w.Body, sink.count())
	}
}

func TestOnlyPost(t *testing.T) {
	w := httptest.NewRecorder()
	newHandler(t, &recorder{}, Config{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, Path, nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
		t.Fatalf("got %d allow %q", w.Code, w.Header().Get("Allow"))
	}
}
