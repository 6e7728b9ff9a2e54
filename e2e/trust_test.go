package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLateAndHostileDeliveries runs one engine through what the outside world sends that it must
// not take at its word: events delivered days late, events from the future or from no time at
// all, and Shopify deliveries that are test orders, for another shop, or under a topic their body
// does not show.
func TestLateAndHostileDeliveries(t *testing.T) {
	t.Parallel()
	s := newShop(t)

	t.Run("a late order updates its customer and starts nothing", func(t *testing.T) {
		const customer = "4300000001"
		before := scrape(t, s.ws.base).get("afterglow_events_late_total")
		// Shopify delivers an order placed three days ago (a retry, a restored webhook).
		order := shopifyOrder(t, 4300000002, time.Now().Add(-72*time.Hour), func(m map[string]any) {
			m["customer"].(map[string]any)["id"] = 4300000001
		})
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, order), order); a.status != http.StatusOK {
			t.Fatalf("the late order: %s; want 200", a)
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE customer_id = $1 AND type = 'order.placed'", customer); n != 1 {
			t.Errorf("the late order is stored %d times; want once", n)
		}
		if n := s.db.count(t, "SELECT orders_count FROM customers WHERE id = $1", customer); n != 1 {
			t.Errorf("orders_count after the late order is %d; want 1", n)
		}
		if n := s.db.count(t, "SELECT count(*) FROM journeys WHERE customer_id = $1", customer); n != 0 {
			t.Errorf("the late order started %d journeys; want none (its thank-you is three days too late)", n)
		}
		if got := scrape(t, s.ws.base).get("afterglow_events_late_total"); got < before+2 {
			t.Errorf("afterglow_events_late_total went from %v to %v; want the order and its customer.updated counted", before, got)
		}
		// A fresh order of the same customer starts its journeys as usual.
		fresh := shopifyOrder(t, 4300000003, time.Now(), func(m map[string]any) { m["customer"].(map[string]any)["id"] = 4300000001 })
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, fresh), fresh); a.status != http.StatusOK {
			t.Fatalf("the fresh order: %s; want 200", a)
		}
		if n := s.db.count(t, "SELECT count(*) FROM journeys WHERE customer_id = $1 AND flow_id = 'thanks' AND key = '4300000003'", customer); n != 1 {
			t.Errorf("the fresh order started %d thank-you journeys; want 1", n)
		}
	})

	t.Run("events from the future or from no real time are refused", func(t *testing.T) {
		before := s.db.count(t, "SELECT count(*) FROM events")
		for _, c := range []struct{ what, time string }{
			{"ten minutes ahead", time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339Nano)},
			{"year 9999", "9999-12-31T23:59:59Z"},
			{"year 0001", "0001-01-01T00:00:01Z"},
			{"1969", "1969-12-31T23:59:59Z"},
		} {
			good := event("t-good-"+randomHex(4), "customer.updated", "c-time", map[string]any{"first_name": "Tia"})
			bad := event("t-bad-"+randomHex(4), "order.placed", "c-time", order("T-1"))
			bad["time"] = c.time
			h, body := eventsRequest(t, ingestToken, good, bad)
			a := post(t, s.url("/v1/events"), h, body)
			if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), `"index":1`) || !strings.Contains(string(a.body), `"field":"time"`) {
				t.Errorf("an event dated %s: %s; want 400 naming index 1 and its time", c.what, a)
			}
		}
		// Four minutes ahead is a sender's clock drifting: accepted.
		ahead := event("t-ahead", "customer.updated", "c-time", map[string]any{"first_name": "Tia"})
		ahead["time"] = time.Now().Add(4 * time.Minute).UTC().Format(time.RFC3339Nano)
		postEvents(t, s.ws.base, ahead)
		if after := s.db.count(t, "SELECT count(*) FROM events"); after != before+1 {
			t.Errorf("%d events stored; want only the one four minutes ahead", after-before)
		}
	})

	t.Run("values too long to store are refused, not retried", func(t *testing.T) {
		before := s.db.count(t, "SELECT count(*) FROM events")
		long := randomHex(1504) // 3,008 bytes that do not compress
		for _, c := range []struct {
			field string
			limit string
			set   func(e map[string]any)
		}{
			{"id", "512", func(e map[string]any) { e["id"] = long }},
			{"subject", "256", func(e map[string]any) { e["subject"] = long }},
			{"data.order_id", "256", func(e map[string]any) { e["data"].(map[string]any)["order_id"] = long }},
		} {
			good := event("l-good-"+randomHex(4), "customer.updated", "c-long", map[string]any{"first_name": "Lu"})
			bad := event("l-bad-"+randomHex(4), "order.placed", "c-long", order("L-1"))
			c.set(bad)
			h, body := eventsRequest(t, ingestToken, good, bad)
			a := post(t, s.url("/v1/events"), h, body)
			if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), `"field":"`+c.field+`"`) || !strings.Contains(string(a.body), "the limit is "+c.limit+" bytes") {
				t.Errorf("an event whose %s is 3,008 bytes: %s; want 400 naming the field and the limit", c.field, a)
			}
		}
		if after := s.db.count(t, "SELECT count(*) FROM events"); after != before {
			t.Errorf("refused batches stored %d events", after-before)
		}
	})

	t.Run("shopify test orders are acknowledged and ignored", func(t *testing.T) {
		before := s.db.count(t, "SELECT count(*) FROM events")
		test := shopifyOrder(t, 4400000001, time.Now(), func(m map[string]any) { m["test"] = true })
		a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, test), test)
		if a.status != http.StatusOK || !strings.Contains(string(a.body), `"accepted":0`) {
			t.Errorf("a test order: %s; want 200 accepting nothing", a)
		}
		if after := s.db.count(t, "SELECT count(*) FROM events"); after != before {
			t.Errorf("a test order stored %d events; want none", after-before)
		}
	})

	t.Run("shopify deliveries for another shop are refused", func(t *testing.T) {
		order := shopifyOrder(t, 4400000002, time.Now(), nil)
		h := shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, order)
		h.Set("X-Shopify-Shop-Domain", "another-shop.myshopify.com")
		if a := post(t, s.url("/webhooks/shopify"), h, order); a.status != http.StatusUnauthorized {
			t.Errorf("a delivery for another shop, validly signed: %s; want 401", a)
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE data->>'order_id' = '4400000002'"); n != 0 {
			t.Errorf("a delivery for another shop stored %d events", n)
		}
	})

	t.Run("a shopify topic must agree with its body", func(t *testing.T) {
		order := shopifyOrder(t, 4400000003, time.Now(), nil)
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, order), order); a.status != http.StatusOK {
			t.Fatalf("orders/create: %s; want 200", a)
		}
		// The captured creation notice replayed as a cancellation, and as a payment.
		for _, topic := range []string{"orders/cancelled", "orders/paid", "customers/update", "refunds/create"} {
			if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders(topic, "wh-"+randomHex(6), shopifySecret, order), order); a.status != http.StatusBadRequest {
				t.Errorf("the order's creation notice sent as %s: %s; want 400", topic, a)
			}
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE data->>'order_id' = '4400000003' AND type <> 'order.placed'"); n != 0 {
			t.Errorf("the replays stored %d events about the order", n)
		}
	})
	t.Run("wrong signatures are counted, and logged once in a while", func(t *testing.T) {
		before := scrape(t, s.ws.base).get("afterglow_auth_failures_total", "source", "shopify")
		from := s.proc.logs.len()
		body := shopifyOrder(t, 4500000001, time.Now(), nil)
		for range 300 {
			if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-x", "not-the-secret", body), body); a.status != http.StatusUnauthorized {
				t.Fatalf("a wrong signature: %s; want 401", a)
			}
		}
		if got := scrape(t, s.ws.base).get("afterglow_auth_failures_total", "source", "shopify"); got != before+300 {
			t.Errorf("afterglow_auth_failures_total{source=shopify} went from %v to %v; want 300 more", before, got)
		}
		lines := 0
		for _, e := range s.proc.logs.entries(t, from) {
			if msg, _ := e["message"].(string); strings.Contains(msg, "signature") {
				lines++
			}
		}
		if lines > 2 {
			t.Errorf("300 wrong signatures wrote %d log lines; want at most one per 10 seconds", lines)
		}
	})

	t.Run("a hung database answers 503 with Retry-After, not never", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		tx, err := s.db.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		ev := event("hang-1", "customer.updated", "c-hang", map[string]any{"first_name": "Hana"})
		h, body := eventsRequest(t, ingestToken, ev)
		began := time.Now()
		a, err := tryPost(s.url("/v1/events"), h, body)
		took := time.Since(began)
		_ = tx.Rollback(ctx)
		if err != nil {
			t.Fatalf("POST while the database hangs: %v; want an answer", err)
		}
		if a.status != http.StatusServiceUnavailable {
			t.Errorf("POST while the database hangs: %s; want 503", a)
		}
		if took > 25*time.Second {
			t.Errorf("answered after %s; want the 10s ingest deadline", took.Round(time.Second))
		}
		// Once the database answers again the retry is taken, and the event is stored once.
		eventually(t, 30*time.Second, func() (bool, string) {
			a, err := tryPost(s.url("/v1/events"), h, body)
			return err == nil && a.status == http.StatusAccepted, fmt.Sprintf("retry: %v %v", a, err)
		})
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE id = 'hang-1'"); n != 1 {
			t.Errorf("the event sent while the database hung is stored %d times; want once", n)
		}
	})
}
