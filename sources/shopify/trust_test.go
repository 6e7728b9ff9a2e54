package shopify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// liveOrder is the sample order as a real shop's: not a test order, not cancelled.
func liveOrder(t *testing.T) []byte {
	t.Helper()
	return edit(t, payload(t, "orders_create.json"), func(m map[string]any) {
		m["test"] = false
		m["cancelled_at"], m["cancel_reason"] = nil, nil
		m["financial_status"] = "pending"
	})
}

// Test orders (Shopify's sample, the Bogus gateway, a store in test mode) are acknowledged and
// store nothing, unless the settings accept them.
func TestTestOrdersAreIgnored(t *testing.T) {
	rec := &recorder{}
	h, err := New(rec, Config{Secret: secret, Shop: shop, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	cancelled := payload(t, "orders_create.json") // a test order, cancelled and voided
	paidTest := edit(t, cancelled, func(m map[string]any) { m["financial_status"] = "paid" })
	for _, c := range []struct {
		topic string
		body  []byte
	}{{"orders/create", cancelled}, {"orders/paid", paidTest}, {"orders/cancelled", cancelled}} {
		w := serve(h, request(c.topic, c.body))
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"accepted":0}` {
			t.Errorf("%s of a test order: %d %s; want 200 accepting nothing", c.topic, w.Code, w.Body)
		}
	}
	if rec.count() != 0 {
		t.Errorf("test orders reached the sink: %v", rec.batches)
	}
	send(t, h, "orders/create", liveOrder(t))
	if evs := rec.last(t); len(evs) != 2 || evs[1].Type != "order.placed" {
		t.Errorf("a real order made %v; want customer.updated and order.placed", evs)
	}

	accepting := newHandler(t, rec, nil) // test_orders: accept
	before := rec.count()
	send(t, accepting, "orders/create", cancelled)
	if rec.count() != before+1 {
		t.Errorf("with test_orders: accept a test order stored nothing")
	}
}

// A delivery for another shop is refused, even signed with this shop's secret: the domain header
// is not covered by the signature, and a replay under another domain made a second order.
func TestShopDomainMustBeTheConfiguredShop(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	req := request("orders/create", liveOrder(t))
	req.Header.Set("X-Shopify-Shop-Domain", "other-shop.myshopify.com")
	if w := serve(h, req); w.Code != http.StatusUnauthorized || !strings.Contains(answerOf(t, w).Error, "other-shop.myshopify.com") {
		t.Errorf("a delivery for another shop: %d %s; want 401 naming it", w.Code, w.Body)
	}
	if rec.count() != 0 {
		t.Fatalf("a delivery for another shop reached the sink")
	}
	req = request("orders/create", liveOrder(t))
	req.Header.Set("X-Shopify-Shop-Domain", "JSmith.MyShopify.com")
	if w := serve(h, req); w.Code != http.StatusOK {
		t.Errorf("the shop's domain in other letter case: %d %s; want 200", w.Code, w.Body)
	}
	configured, err := New(rec, Config{Secret: secret, Shop: " https://JSMITH.myshopify.com/ ", TestOrders: true})
	if err != nil {
		t.Fatal(err)
	}
	if w := serve(configured, request("orders/create", liveOrder(t))); w.Code != http.StatusOK {
		t.Errorf("shop configured with a scheme and a slash: %d %s; want the delivery accepted", w.Code, w.Body)
	}
	if _, err := New(rec, Config{Secret: secret}); err == nil || !strings.Contains(err.Error(), "sources.shopify.shop") {
		t.Errorf("New without a shop: %v; want an error naming sources.shopify.shop", err)
	}
}

// The topic must agree with the body: a captured creation notice replayed as orders/cancelled
// cancelled the order.
func TestTopicMustFitTheBody(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	order, customer, fulfillment, refund := liveOrder(t), payload(t, "customers_create.json"), payload(t, "fulfillments_create.json"), payload(t, "refunds_create.json")
	for _, c := range []struct {
		topic string
		body  []byte
		want  string
	}{
		{"orders/cancelled", order, "not a cancelled order"},
		{"orders/paid", order, "not a paid order"},
		{"orders/create", customer, "not an order"},
		{"customers/update", order, "not a customer"},
		{"fulfillments/create", order, "not a fulfillment"},
		{"fulfillments/update", refund, "not a fulfillment"},
		{"refunds/create", fulfillment, "not a refund"},
		{"refunds/create", order, "not a refund"},
		{"checkouts/create", order, "not a checkout"},
		{"customers_email_marketing_consent/update", customer, "not an email marketing consent"},
		{"customers_marketing_consent/update", order, "not an SMS marketing consent"},
	} {
		w := serve(h, request(c.topic, c.body))
		if w.Code != http.StatusBadRequest || !strings.Contains(answerOf(t, w).Error, c.want) {
			t.Errorf("%s with the wrong body: %d %s; want 400 saying %q", c.topic, w.Code, w.Body, c.want)
		}
	}
	if rec.count() != 0 {
		t.Errorf("bodies that do not fit their topic reached the sink: %v", rec.batches)
	}
	cancelled := edit(t, order, func(m map[string]any) { m["cancelled_at"] = "2025-10-14T10:00:00-05:00" })
	send(t, h, "orders/cancelled", cancelled)
	paid := edit(t, order, func(m map[string]any) { m["financial_status"] = "partially_refunded" })
	send(t, h, "orders/paid", paid)
}
