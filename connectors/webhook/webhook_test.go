// These tests run the connector against a local httptest.Server that plays the receiving endpoint
// as doc.go documents it: a JSON POST signed with X-Afterglow-Signature, deduplicated by
// Idempotency-Key, answering 2xx (optionally {"id": ...}), 4xx, 429 with Retry-After, or 5xx.
package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

func testMessage() message.Message {
	return message.Message{
		ID:             "msg-1",
		IdempotencyKey: "journey-9/review",
		Channel:        "crm",
		Shape:          message.Webhook,
		Category:       "marketing",
		Flow:           "review-request",
		Step:           "review",
		Locale:         "es-PE",
		To:             message.Recipient{CustomerID: "7001", Email: "laura@example.com", Name: "Laura"},
		Content:        message.Content{Payload: map[string]any{"event": "review_requested", "order_id": "1001", "score_url": "https://shop.example/r/1001"}},
	}
}

func newWebhook(t *testing.T, url string, extra map[string]any) connectors.Connector {
	t.Helper()
	with := map[string]any{"url": url, "secret": "s3cret", "headers": map[string]any{"X-Shop": "tienda"}}
	for k, v := range extra {
		with[k] = v
	}
	c, err := New(with, connectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendSignsAndDescribesTheMessage(t *testing.T) {
	var got struct {
		method, path, contentType, key, signature, shop string
		raw                                             []byte
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got.method, got.path = r.Method, r.URL.Path
		got.contentType = r.Header.Get("Content-Type")
		got.key = r.Header.Get("Idempotency-Key")
		got.signature = r.Header.Get(SignatureHeader)
		got.shop = r.Header.Get("X-Shop")
		got.raw, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"crm-evt-42","status":"queued"}`)
	}))
	defer srv.Close()

	res, err := newWebhook(t, srv.URL+"/hooks/afterglow", nil).Send(context.Background(), testMessage())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.ProviderID != "crm-evt-42" {
		t.Errorf("provider id = %q", res.ProviderID)
	}
	if got.method != http.MethodPost || got.path != "/hooks/afterglow" {
		t.Errorf("request = %s %s", got.method, got.path)
	}
	if got.contentType != "application/json" || got.key != "journey-9/review" || got.shop != "tienda" {
		t.Errorf("headers: content type %q, idempotency key %q, X-Shop %q", got.contentType, got.key, got.shop)
	}
	if !hmac.Equal([]byte(got.signature), []byte(Sign([]byte("s3cret"), got.raw))) {
		t.Errorf("signature %q does not match the body", got.signature)
	}
	if Sign([]byte("other"), got.raw) == got.signature {
		t.Error("signature does not depend on the secret")
	}

	var b map[string]any
	if err := json.Unmarshal(got.raw, &b); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"id": "msg-1", "idempotency_key": "journey-9/review", "channel": "crm", "shape": "webhook",
		"category": "marketing", "flow": "review-request", "step": "review", "customer_id": "7001", "locale": "es-PE",
	} {
		if b[k] != want {
			t.Errorf("body %s = %v, want %q", k, b[k], want)
		}
	}
	if p, _ := b["payload"].(map[string]any); p["order_id"] != "1001" || p["event"] != "review_requested" {
		t.Errorf("payload = %v", b["payload"])
	}
	if to, _ := b["to"].(map[string]any); to["email"] != "laura@example.com" {
		t.Errorf("to = %v", b["to"])
	}
	if _, has := b["content"]; has {
		t.Errorf("a webhook-shaped message carried content: %v", b["content"])
	}
}

func TestRetryIsByteIdentical(t *testing.T) {
	var bodies []string
	var sigs []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		raw, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(raw))
		sigs = append(sigs, r.Header.Get(SignatureHeader))
	}))
	defer srv.Close()
	c := newWebhook(t, srv.URL, nil)
	m := testMessage()
	m.Shape = message.Email
	m.Content = message.Content{Subject: "¿Qué tal tu pedido?", Text: "Hola Laura", HTML: "<p>Hola Laura</p>"}
	for range 2 {
		res, err := c.Send(context.Background(), m)
		if err != nil {
			t.Fatal(err)
		}
		if res.ProviderID != "" {
			t.Errorf("empty answer gave provider id %q", res.ProviderID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != bodies[1] || sigs[0] != sigs[1] {
		t.Fatalf("retries differ:\n%v\n%v", bodies, sigs)
	}
	if !strings.Contains(bodies[0], `"content":{"subject":"¿Qué tal tu pedido?","text":"Hola Laura","html":"\u003cp\u003eHola Laura\u003c/p\u003e"}`) {
		t.Errorf("email content missing from %s", bodies[0])
	}
}

func TestStatusClassification(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		permanent  bool
		wait       time.Duration
	}{
		{http.StatusBadRequest, "", true, 0},
		{http.StatusUnauthorized, "", true, 0},
		{http.StatusRequestTimeout, "", false, 0},
		{http.StatusTooManyRequests, "17", false, 17 * time.Second},
		{http.StatusServiceUnavailable, "3", false, 3 * time.Second},
		{http.StatusInternalServerError, "", false, 0},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.WriteHeader(tc.status)
			io.WriteString(w, "receiver says no")
		}))
		_, err := newWebhook(t, srv.URL, nil).Send(context.Background(), testMessage())
		srv.Close()
		if err == nil {
			t.Errorf("%d: no error", tc.status)
			continue
		}
		if connectors.IsPermanent(err) != tc.permanent {
			t.Errorf("%d: permanent = %v, want %v (%v)", tc.status, !tc.permanent, tc.permanent, err)
		}
		if connectors.RetryAfter(err) != tc.wait {
			t.Errorf("%d: retry after = %v, want %v", tc.status, connectors.RetryAfter(err), tc.wait)
		}
		if !strings.Contains(err.Error(), "receiver says no") {
			t.Errorf("%d: error lacks the receiver's answer: %v", tc.status, err)
		}
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, err := newWebhook(t, srv.URL, map[string]any{"timeout": "100ms"}).Send(context.Background(), testMessage())
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("timeout setting ignored: took %v", elapsed)
	}
}

func TestSettingsErrors(t *testing.T) {
	cases := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{"secret": "x"}, `setting "url": is required`},
		{map[string]any{"url": "crm.example/hook", "secret": "x"}, `setting "url": want an absolute`},
		{map[string]any{"url": "https://crm.example", "secret": ""}, `setting "secret": is empty`},
		{map[string]any{"url": "https://crm.example", "secret": "x", "headers": map[string]any{"idempotency-key": "k"}}, "Idempotency-Key is set by the connector"},
		{map[string]any{"url": "https://crm.example", "secret": "x", "timeout": "soon"}, `setting "timeout"`},
		{map[string]any{"url": "https://crm.example", "secret": "x", "sekret": "y"}, `unknown setting "sekret"`},
	}
	for _, tc := range cases {
		_, err := New(tc.with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}
}
