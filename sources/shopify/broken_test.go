package shopify

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/sources"
)

func TestSignatures(t *testing.T) {
	body := payload(t, "orders_create.json")
	cases := []struct {
		name string
		sign func(r *http.Request)
		want int
	}{
		{"current secret", func(r *http.Request) {}, http.StatusOK},
		{"previous secret", func(r *http.Request) { r.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64(oldSecret, body)) }, http.StatusOK},
		{"wrong secret", func(r *http.Request) { r.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64("guess", body)) }, http.StatusUnauthorized},
		{"signature of another body", func(r *http.Request) {
			r.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64(secret, payload(t, "customers_create.json")))
		}, http.StatusUnauthorized},
		{"missing signature", func(r *http.Request) { r.Header.Del("X-Shopify-Hmac-Sha256") }, http.StatusUnauthorized},
		{"not base64", func(r *http.Request) { r.Header.Set("X-Shopify-Hmac-Sha256", "not a signature!") }, http.StatusUnauthorized},
		{"hex instead of base64", func(r *http.Request) { r.Header.Set("X-Shopify-Hmac-Sha256", strings.Repeat("ab", 32)) }, http.StatusUnauthorized},
	}
	for _, c := range cases {
		rec := &recorder{}
		req := request("orders/create", body)
		c.sign(req)
		w := serve(newHandler(t, rec, nil), req)
		if w.Code != c.want {
			t.Errorf("%s: got %d %s, want %d", c.name, w.Code, w.Body, c.want)
		}
		if c.want != http.StatusOK {
			if rec.count() != 0 {
				t.Errorf("%s: an unsigned delivery reached the sink", c.name)
			}
			if msg := answerOf(t, w).Error; !strings.Contains(msg, "Hmac-Sha256") {
				t.Errorf("%s: the 401 should name the header: %q", c.name, msg)
			}
		}
	}
}

func TestHeadersWithoutPrefixAnyCase(t *testing.T) {
	body := payload(t, "customers_create.json")
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
	req.Header.Set("shopify-hmac-sha256", sources.SignBase64(secret, body))
	req.Header.Set("SHOPIFY-TOPIC", "customers/update")
	req.Header.Set("shopify-shop-domain", "JSmith.myshopify.com")
	req.Header.Set("Shopify-Webhook-Id", "w-1")
	rec := &recorder{}
	if w := serve(newHandler(t, rec, nil), req); w.Code != http.StatusOK {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	if e := rec.last(t)[0]; e.Source != "shopify/jsmith.myshopify.com" || e.ID != "shopify/jsmith.myshopify.com/customer/706405506930370084/updated/w-1" {
		t.Errorf("source %s id %s", e.Source, e.ID)
	}
}

func TestTruncatedBody(t *testing.T) {
	full := payload(t, "orders_create.json")
	cut := full[:len(full)/2]

	rec := &recorder{}
	h := newHandler(t, rec, nil)
	w := serve(h, request("orders/create", cut)) // signed over the bytes received
	if w.Code != http.StatusBadRequest || !strings.Contains(answerOf(t, w).Error, "truncated") {
		t.Errorf("signed truncated body: got %d %s, want 400 saying truncated", w.Code, w.Body)
	}

	req := request("orders/create", cut)
	req.Header.Set("X-Shopify-Hmac-Sha256", sources.SignBase64(secret, full)) // signed over the whole body
	if w := serve(h, req); w.Code != http.StatusUnauthorized {
		t.Errorf("body cut after signing: got %d, want 401", w.Code)
	}
	if rec.count() != 0 {
		t.Error("a truncated body reached the sink")
	}
}

func TestMalformedJSON(t *testing.T) {
	rec := &recorder{}
	w := serve(newHandler(t, rec, nil), request("orders/create", []byte(`{"id": 1,, }`)))
	if w.Code != http.StatusBadRequest || !strings.Contains(answerOf(t, w).Error, "not valid JSON") {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	w = serve(newHandler(t, rec, nil), request("orders/create", []byte(`{"id": "gid://shopify/Order/1"}`)))
	if w.Code != http.StatusBadRequest || !strings.Contains(answerOf(t, w).Error, "not an order") {
		t.Errorf("well-formed body that is not an order: got %d %s", w.Code, w.Body)
	}
	w = serve(newHandler(t, rec, nil), request("orders/create", []byte(`{"id": "gid://shopify/Order/1", "line_items": [], "financial_status": "paid"}`)))
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(answerOf(t, w).Error, "shape of a Shopify order") {
		t.Errorf("an order of the wrong shape: got %d %s", w.Code, w.Body)
	}
	if rec.count() != 0 {
		t.Error("a malformed body reached the sink")
	}
}

func TestOversizeBody(t *testing.T) {
	rec := &recorder{}
	h, err := New(rec, Config{Secret: secret, Shop: shop, MaxBody: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(h, request("orders/create", payload(t, "orders_create.json"))); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("got %d, want 413", w.Code)
	}
}

func TestOrderWithoutAnyone(t *testing.T) {
	body := edit(t, payload(t, "orders_create.json"), func(m map[string]any) {
		m["customer"] = nil
		m["email"] = nil
		m["contact_email"] = ""
	})
	rec := &recorder{}
	w := serve(newHandler(t, rec, nil), request("orders/create", body))
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("got %d %s, want 422", w.Code, w.Body)
	}
	if msg := answerOf(t, w).Error; !strings.Contains(msg, "neither a customer nor an email") || !strings.Contains(msg, "820982911946154508") {
		t.Errorf("the 422 should say what is missing and which order: %q", msg)
	}
	if rec.count() != 0 {
		t.Error("an order of nobody reached the sink")
	}
}

func TestGuestOrderUsesLowercasedEmail(t *testing.T) {
	body := edit(t, payload(t, "orders_create.json"), func(m map[string]any) {
		m["customer"] = nil
		m["email"] = " Jon@Example.COM "
	})
	rec := &recorder{}
	send(t, newHandler(t, rec, nil), "orders/create", body)
	for _, e := range rec.last(t) {
		if e.Subject != "jon@example.com" {
			t.Errorf("%s: subject %q", e.ID, e.Subject)
		}
	}
	if first := rec.last(t)[0]; first.Data["first_name"] != "Steve" {
		t.Errorf("a guest's name comes from the billing address: %v", first.Data)
	}
}

func TestSubmitFailure(t *testing.T) {
	rec := &recorder{fail: errors.New("connection refused")}
	w := serve(newHandler(t, rec, nil), request("orders/create", payload(t, "orders_create.json")))
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(answerOf(t, w).Error, "retry") {
		t.Errorf("got %d %s, want 503 asking to retry", w.Code, w.Body)
	}
}

// TestMisfitConversionIs422: a notice converted into events that do not fit the event catalog
// (here, a currency code Shopify would never send) is a wrong conversion, which a retry of the
// same notice cannot fix: 422 with the problem, nothing submitted, an error in the log.
func TestMisfitConversionIs422(t *testing.T) {
	rec := &recorder{}
	log := &logs{}
	body := bytes.Replace(payload(t, "orders_create.json"), []byte(`"currency": "USD"`), []byte(`"currency": "usd"`), 1)
	w := serve(newHandler(t, rec, log), request("orders/create", body))
	b := answerOf(t, w)
	if w.Code != http.StatusUnprocessableEntity || len(b.Problems) != 1 || b.Problems[0].Field != "data.currency" || b.Problems[0].Index != 1 {
		t.Errorf("got %d %s, want 422 naming event 1's data.currency", w.Code, w.Body)
	}
	if rec.count() != 0 {
		t.Error("events that do not fit were submitted")
	}
	if !strings.Contains(log.String(), `"level":"error"`) {
		t.Errorf("a conversion the catalog refuses is an error in the log: %s", log)
	}
}

func TestLookupFailureIsRetryable(t *testing.T) {
	rec := &recorder{lookupFail: errors.New("database is down")}
	log := &logs{}
	w := serve(newHandler(t, rec, log), request("refunds/create", payload(t, "refunds_create.json")))
	if w.Code != http.StatusServiceUnavailable || rec.count() != 0 {
		t.Errorf("got %d %s, want 503", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "database") || !strings.Contains(log.String(), "database is down") {
		t.Errorf("the cause belongs in the log, not the answer:\nanswer %s\nlog %s", w.Body, log)
	}
}

func TestRefundOfUnknownOrder(t *testing.T) {
	for _, sink := range []sources.Sink{&recorder{}, submitOnly{&recorder{}}} {
		log := &logs{}
		w := serve(newHandler(t, sink, log), request("refunds/create", payload(t, "refunds_create.json")))
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"accepted":0}` {
			t.Errorf("%T: got %d %s", sink, w.Code, w.Body)
		}
		if !strings.Contains(log.String(), "refund 890088186047892319") {
			t.Errorf("%T: the drop is not logged: %s", sink, log)
		}
	}
}

func TestUnknownTopic(t *testing.T) {
	rec := &recorder{}
	log := &logs{}
	w := serve(newHandler(t, rec, log), request("products/update", []byte(`{"id": 632910392, "title": "IPod Nano"}`)))
	if w.Code != http.StatusOK || rec.count() != 0 {
		t.Fatalf("got %d, %d batches", w.Code, rec.count())
	}
	w = serve(newHandler(t, rec, log), request("customers/redact", []byte(`{"shop_id":954889,"shop_domain":"`+shop+`","customer":{"id":191167,"email":"john@example.com","phone":"555-625-1199"},"orders_to_redact":[299938,280263]}`)))
	if w.Code != http.StatusOK || rec.count() != 0 {
		t.Fatalf("got %d, %d batches", w.Code, rec.count())
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"topic":"products/update"`) || !strings.Contains(lines[1], `"customer":"191167"`) {
		t.Errorf("want one line per unknown topic naming it and the customer, got:\n%s", log)
	}
	if strings.Contains(log.String(), "@") || strings.Contains(log.String(), "555-625") {
		t.Errorf("personal data in the log: %s", log)
	}
}

func TestRedeliveryHasTheSameIDs(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	for _, c := range corpus {
		if c.plain {
			continue
		}
		body := c.body(t)
		for _, s := range c.before {
			send(t, h, s.topic, payload(t, s.file))
		}
		send(t, h, c.topic, body)
		first := ids(rec.last(t))
		req := request(c.topic, body)
		req.Header.Set("X-Shopify-Triggered-At", time.Now().Format(time.RFC3339Nano)) // a retry is triggered later
		if w := serve(h, req); w.Code != http.StatusOK {
			t.Fatalf("%s redelivered: %d", c.name, w.Code)
		}
		if again := ids(rec.last(t)); again != first {
			t.Errorf("%s: redelivery changed the ids:\n%s\n%s", c.name, first, again)
		}
	}
	// A new update of the same customer is a new fact: its own id.
	send(t, h, "customers/update", payload(t, "customers_create.json"))
	a := ids(rec.last(t))
	req := request("customers/update", payload(t, "customers_create.json"))
	req.Header.Set("X-Shopify-Webhook-Id", "another-delivery")
	serve(h, req)
	if b := ids(rec.last(t)); a == b {
		t.Errorf("two distinct updates got one id %s", a)
	}
}

func TestTimeFallbacks(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	body := []byte(`{"id": 706405506930370084, "email": "bob@biller.com", "state": "enabled", "created_at": null, "updated_at": null}`)
	send(t, h, "customers/update", body)
	if got := rec.last(t)[0].Time; !got.Equal(time.Date(2023, 3, 29, 18, 0, 27, 877041743, time.UTC)) {
		t.Errorf("without a resource time the trigger time counts, got %s", got)
	}
	req := request("customers/update", body)
	req.Header.Del("X-Shopify-Triggered-At")
	serve(h, req)
	if got := rec.last(t)[0].Time; !got.Equal(testNow) {
		t.Errorf("without any time now counts, got %s", got)
	}
}

func TestRequestShape(t *testing.T) {
	h := newHandler(t, &recorder{}, nil)
	if w := serve(h, httptest.NewRequest(http.MethodGet, Path, nil)); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	req := request("orders/create", payload(t, "orders_create.json"))
	req.Header.Del("X-Shopify-Shop-Domain")
	if w := serve(h, req); w.Code != http.StatusBadRequest {
		t.Errorf("no shop domain: %d", w.Code)
	}
	req = request("orders/create", payload(t, "orders_create.json"))
	req.Body = io.NopCloser(errReader{})
	if w := serve(h, req); w.Code != http.StatusBadRequest {
		t.Errorf("body cut in transit: %d", w.Code)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestNewRefusesNoSecret(t *testing.T) {
	if _, err := New(&recorder{}, Config{}); err == nil || !strings.Contains(err.Error(), "sources.shopify.secret") {
		t.Errorf("got %v", err)
	}
	if _, err := New(nil, Config{Secret: secret}); err == nil {
		t.Error("New without a sink must fail")
	}
}

// TestNoPersonalDataLogged runs every payload with a logger at info level and checks that no email
// or phone reaches it.
func TestNoPersonalDataLogged(t *testing.T) {
	log := &logs{}
	h := newHandler(t, &recorder{}, log)
	for _, c := range corpus {
		serve(h, request(c.topic, c.body(t)))
	}
	guest := edit(t, payload(t, "orders_create.json"), func(m map[string]any) { m["customer"] = nil })
	serve(h, request("orders/create", guest))
	serve(h, request("refunds/create", payload(t, "refunds_create.json")))
	if s := log.String(); strings.Contains(s, "@") || strings.Contains(s, "555-") {
		t.Errorf("personal data in the log:\n%s", s)
	}
}
