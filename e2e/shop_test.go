package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The shop the payloads of sources/*/testdata come from.
const (
	shopDomain = "jsmith.myshopify.com"
	wooSite    = "http://example.com/"
)

// httpClient is shared by every request of the tests; its timeout bounds a request to a process
// that hangs.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// answer is a response of the process under test.
type answer struct {
	status int
	body   []byte
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.status, bytes.TrimSpace(a.body)) }

func post(t *testing.T, url string, header http.Header, body []byte) answer {
	t.Helper()
	a, err := tryPost(url, header, body)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return a
}

// tryPost is post for callers that expect some requests to fail (a process being killed).
func tryPost(url string, header http.Header, body []byte) (answer, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{resp.StatusCode, b}, nil
}

func get(t *testing.T, url string) answer {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return answer{resp.StatusCode, b}
}

// testdata reads a payload of a source's corpus of real webhook bodies.
func testdata(t *testing.T, source, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, "sources", source, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit changes a JSON payload, keeping its numbers (ids above 2^53) exact.
func edit(t *testing.T, payload []byte, change func(m map[string]any)) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hmacBase64(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shopifyHeaders are the headers Shopify sends with a delivery, signed with secret.
func shopifyHeaders(topic, webhookID, secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Shopify-Captain-Hook")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", hmacBase64(secret, body))
	h.Set("X-Shopify-Shop-Domain", shopDomain)
	h.Set("X-Shopify-Webhook-Id", webhookID)
	h.Set("X-Shopify-Event-Id", randomHex(8))
	h.Set("X-Shopify-API-Version", "2026-07")
	h.Set("X-Shopify-Triggered-At", time.Now().UTC().Format(time.RFC3339Nano))
	return h
}

// wooHeaders are the headers WooCommerce sends with a delivery, signed with secret.
func wooHeaders(topic, deliveryID, secret string, body []byte) http.Header {
	resource, ev, _ := strings.Cut(topic, ".")
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "WooCommerce/9.1.2 Hookshot (WordPress/6.5.5)")
	h.Set("X-WC-Webhook-Source", wooSite)
	h.Set("X-WC-Webhook-Topic", topic)
	h.Set("X-WC-Webhook-Resource", resource)
	h.Set("X-WC-Webhook-Event", ev)
	h.Set("X-WC-Webhook-Signature", hmacBase64(secret, body))
	h.Set("X-WC-Webhook-ID", "12")
	h.Set("X-WC-Webhook-Delivery-ID", deliveryID)
	return h
}

// shopifyOrder is the corpus's sample order made an order of a real shop placed at a moment:
// Shopify's sample is a test order, placed and cancelled in 2021. change edits it further.
func shopifyOrder(t *testing.T, id int64, at time.Time, change func(m map[string]any)) []byte {
	t.Helper()
	return edit(t, testdata(t, "shopify", "orders_create.json"), func(m map[string]any) {
		m["id"] = id
		m["test"] = false
		m["cancelled_at"], m["cancel_reason"] = nil, nil
		ts := at.UTC().Format(time.RFC3339)
		m["created_at"], m["processed_at"], m["updated_at"] = ts, ts, ts
		if change != nil {
			change(m)
		}
	})
}

// wooTime is how WooCommerce writes its *_gmt dates.
const wooTime = "2006-01-02T15:04:05"

// dated sets a payload's time fields that hold a time to at, written with layout, so that its
// events are not late: the corpus's payloads are years old.
func dated(t *testing.T, payload []byte, at time.Time, layout string, keys ...string) []byte {
	t.Helper()
	return edit(t, payload, func(m map[string]any) {
		for _, k := range keys {
			if v, ok := m[k]; ok && v != nil {
				m[k] = at.UTC().Format(layout)
			}
		}
	})
}

// event is a canonical event for POST /v1/events.
func event(id, typ, subject string, data map[string]any) map[string]any {
	return map[string]any{"specversion": "1.0", "id": id, "source": "e2e", "type": typ, "subject": subject,
		"time": time.Now().UTC().Format(time.RFC3339Nano), "data": data}
}

func order(id string) map[string]any {
	return map[string]any{"order_id": id, "total": "25.00", "currency": "USD"}
}

// eventsRequest is a batch for POST /v1/events with the bearer token.
func eventsRequest(t *testing.T, token string, evs ...map[string]any) (http.Header, []byte) {
	t.Helper()
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/cloudevents-batch+json")
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return h, b
}

// postEvents posts a batch with the right token and fails unless it is accepted.
func postEvents(t *testing.T, base string, evs ...map[string]any) {
	t.Helper()
	h, b := eventsRequest(t, ingestToken, evs...)
	if a := post(t, base+"/v1/events", h, b); a.status != http.StatusAccepted {
		t.Fatalf("POST /v1/events: %s; want 202", a)
	}
}
