package woocommerce

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/sources"
)

func TestPing(t *testing.T) {
	rec := &recorder{}
	log := &logs{}
	h := newHandler(t, rec, log)
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader("webhook_id=12"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := serve(h, req)
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"accepted":0}` || rec.count() != 0 {
		t.Fatalf("ping: got %d %s, %d batches", w.Code, w.Body, rec.count())
	}
	if !strings.Contains(log.String(), `"webhook":"12"`) {
		t.Errorf("the ping is not logged: %s", log)
	}
	// Anything else unsigned is refused, form-encoded or not.
	for _, body := range []string{"webhook_id=12&x=1", `{"id": 727}`, ""} {
		req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
		if w := serve(h, req); w.Code != http.StatusUnauthorized {
			t.Errorf("unsigned %q: got %d, want 401", body, w.Code)
		}
	}
}

func TestSignatures(t *testing.T) {
	body := payload(t, "order.created.json")
	cases := []struct {
		name string
		sign func(r *http.Request)
		want int
	}{
		{"right secret", func(r *http.Request) {}, http.StatusOK},
		{"wrong secret", func(r *http.Request) { r.Header.Set("X-WC-Webhook-Signature", sources.SignBase64("guess", body)) }, http.StatusUnauthorized},
		{"signature of another body", func(r *http.Request) {
			r.Header.Set("X-WC-Webhook-Signature", sources.SignBase64(secret, payload(t, "order.updated.json")))
		}, http.StatusUnauthorized},
		{"missing signature", func(r *http.Request) { r.Header.Del("X-WC-Webhook-Signature") }, http.StatusUnauthorized},
		{"lowercase header name", func(r *http.Request) {
			sig := r.Header.Get("X-WC-Webhook-Signature")
			r.Header.Del("X-WC-Webhook-Signature")
			r.Header.Set("x-wc-webhook-signature", sig)
		}, http.StatusOK},
	}
	for _, c := range cases {
		rec := &recorder{}
		req := request("order.created", body)
		c.sign(req)
		w := serve(newHandler(t, rec, nil), req)
		if w.Code != c.want {
			t.Errorf("%s: got %d %s, want %d", c.name, w.Code, w.Body, c.want)
		}
		if c.want != http.StatusOK && rec.count() != 0 {
			t.Errorf("%s: an unsigned delivery reached the sink", c.name)
		}
	}
}

func TestTruncatedBody(t *testing.T) {
	full := payload(t, "order.created.json")
	cut := full[:len(full)-200]
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	w := serve(h, request("order.created", cut))
	if w.Code != http.StatusBadRequest || !strings.Contains(answerOf(t, w).Error, "truncated") {
		t.Errorf("signed truncated body: got %d %s, want 400 saying truncated", w.Code, w.Body)
	}
	req := request("order.created", cut)
	req.Header.Set("X-WC-Webhook-Signature", sources.SignBase64(secret, full))
	if w := serve(h, req); w.Code != http.StatusUnauthorized {
		t.Errorf("body cut after signing: got %d, want 401", w.Code)
	}
	if rec.count() != 0 {
		t.Error("a truncated body reached the sink")
	}
}

func TestDeletedResource(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	for _, topic := range []string{"order.deleted", "order.updated", "customer.deleted"} {
		if w := send(t, h, topic, []byte(`{"id": 727}`)); strings.TrimSpace(w.Body.String()) != `{"accepted":0}` {
			t.Errorf("%s: %s", topic, w.Body)
		}
	}
	if rec.count() != 0 {
		t.Error("a deleted resource made events")
	}
}

func TestGuestWithoutEmail(t *testing.T) {
	noEmail := func(status string) []byte {
		return edit(t, payload(t, "order.created.json"), func(m map[string]any) {
			m["status"] = status
			m["billing"].(map[string]any)["email"] = ""
		})
	}
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	w := serve(h, request("order.created", noEmail("processing")))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(answerOf(t, w).Error, "neither a customer") {
		t.Errorf("paid order of nobody: got %d %s, want 422", w.Code, w.Body)
	}
	// An unpaid order of nobody states no fact: nothing to refuse.
	if w := serve(h, request("order.created", noEmail("pending"))); w.Code != http.StatusOK {
		t.Errorf("pending order of nobody: got %d %s", w.Code, w.Body)
	}
	if rec.count() != 0 {
		t.Error("an order of nobody reached the sink")
	}
}

func TestGuestEmailIsLowercased(t *testing.T) {
	rec := &recorder{}
	body := edit(t, payload(t, "order.created.json"), func(m map[string]any) {
		m["billing"].(map[string]any)["email"] = "John.Doe@Example.COM"
	})
	send(t, newHandler(t, rec, nil), "order.created", body)
	for _, e := range rec.last(t) {
		if e.Subject != "john.doe@example.com" {
			t.Errorf("%s: subject %q", e.ID, e.Subject)
		}
	}
}

func TestMalformedAndOversize(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	if w := serve(h, request("order.created", []byte(`{"id": 727,]`))); w.Code != http.StatusBadRequest {
		t.Errorf("malformed: got %d", w.Code)
	}
	if w := serve(h, request("order.created", []byte(`{"id": 727, "total": "lots", "status": "processing"}`))); w.Code != http.StatusUnprocessableEntity {
		t.Errorf("wrong shape: got %d %s", w.Code, w.Body)
	}
	small, err := New(rec, Config{Secret: secret, MaxBody: 512})
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(small, request("order.created", payload(t, "order.created.json"))); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversize: got %d", w.Code)
	}
	if rec.count() != 0 {
		t.Error("a refused body reached the sink")
	}
}

func TestSubmitFailure(t *testing.T) {
	rec := &recorder{fail: errors.New("connection refused")}
	w := serve(newHandler(t, rec, nil), request("order.created", payload(t, "order.created.json")))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(answerOf(t, w).Error, "retry") {
		t.Errorf("got %d %s, want 503 asking to retry", w.Code, w.Body)
	}
}

func TestUnknownTopic(t *testing.T) {
	rec := &recorder{}
	log := &logs{}
	h := newHandler(t, rec, log)
	send(t, h, "product.updated", []byte(`{"id": 93, "name": "Woo Single #1"}`))
	send(t, h, "coupon.created", []byte(`{"id": 5, "code": "tenoff", "customer_id": 25, "email_restrictions": ["john.doe@example.com"]}`))
	if rec.count() != 0 {
		t.Fatal("an unknown topic made events")
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"topic":"product.updated"`) || !strings.Contains(lines[1], `"customer":"25"`) {
		t.Errorf("want one line per unknown topic naming it and the customer:\n%s", log)
	}
	if strings.Contains(log.String(), "@") {
		t.Errorf("an email in the log: %s", log)
	}
}

func TestRedeliveryHasTheSameIDs(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	for _, c := range corpus {
		send(t, h, c.topic, payload(t, c.file))
		first := ids(rec.last(t))
		req := request(c.topic, payload(t, c.file))
		req.Header.Set("X-WC-Webhook-Delivery-ID", "a-later-attempt")
		serve(h, req)
		if again := ids(rec.last(t)); again != first {
			t.Errorf("%s: redelivery changed the ids:\n%s\n%s", c.name, first, again)
		}
	}
	// customer.updated repeats: each delivery is its own fact, a redelivery of it is not.
	body := payload(t, "customer.created.json")
	send(t, h, "customer.updated", body)
	a := ids(rec.last(t))
	send(t, h, "customer.updated", body)
	if b := ids(rec.last(t)); a != b || a != testPrefix+"customer/25/updated/"+deliveryID {
		t.Errorf("redelivered update: %s then %s", a, b)
	}
	req := request("customer.updated", body)
	req.Header.Set("X-WC-Webhook-Delivery-ID", "another")
	serve(h, req)
	if c := ids(rec.last(t)); c == a {
		t.Errorf("a new update reused the id %s", c)
	}
}

func TestTimeFallsBackToNow(t *testing.T) {
	rec := &recorder{}
	body := edit(t, payload(t, "customer.created.json"), func(m map[string]any) {
		m["date_created_gmt"] = ""
		m["date_modified_gmt"] = nil
	})
	send(t, newHandler(t, rec, nil), "customer.updated", body)
	e := rec.last(t)[0]
	if !e.Time.Equal(testNow) {
		t.Errorf("time %s, want now", e.Time)
	}
	if _, ok := e.Data["created_at"]; ok {
		t.Errorf("no created_at was given: %v", e.Data)
	}
}

func TestSiteAndHeaders(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	req := request("order.created", payload(t, "order.created.json"))
	req.Header.Set("X-WC-Webhook-Source", "https://Shop.Example.com/store/")
	serve(h, req)
	if e := rec.last(t)[0]; e.Source != "woocommerce/shop.example.com/store" {
		t.Errorf("source %s", e.Source)
	}
	req = request("order.created", payload(t, "order.created.json"))
	req.Header.Del("X-WC-Webhook-Source")
	if w := serve(h, req); w.Code != http.StatusBadRequest {
		t.Errorf("no source: got %d", w.Code)
	}
	if w := serve(h, httptest.NewRequest(http.MethodGet, Path, nil)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: got %d", w.Code)
	}
	if _, err := New(rec, Config{}); err == nil || !strings.Contains(err.Error(), "sources.woocommerce.secret") {
		t.Errorf("New without a secret: %v", err)
	}
}

// TestOrderNumberAsNumber covers stores whose plugins send the order number as a JSON number.
func TestOrderNumberAsNumber(t *testing.T) {
	rec := &recorder{}
	body := edit(t, payload(t, "order.created.json"), func(m map[string]any) { m["number"] = json.Number("10727") })
	send(t, newHandler(t, rec, nil), "order.created", body)
	if got := rec.last(t)[1].Data["order_number"]; got != "10727" {
		t.Errorf("order_number %v", got)
	}
}
