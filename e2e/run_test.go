package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/afterglowhq/afterglow/engine/unsubscribe"
)

// shop is one running engine with its database, workspace and sink.
type shop struct {
	db   *database
	sink *sink
	ws   *workspace
	proc *proc
}

func newShop(t *testing.T) *shop {
	t.Helper()
	s := &shop{db: newDatabase(t, true), sink: newSink(t, channelSecret)}
	s.ws = newWorkspace(t, s.sink.URL())
	s.proc = start(t, "main", s.ws.config, s.ws.base, s.ws.env(s.db, "main"))
	return s
}

func (s *shop) url(path string) string { return s.ws.base + path }

// TestRun runs one engine through what a shop does to it in a day: webhooks from both platforms,
// canonical events, bad requests, redeliveries, an unsubscribe, and marketers' edits. The subtests
// share the process and run in order.
func TestRun(t *testing.T) {
	t.Parallel()
	s := newShop(t)

	t.Run("shopify webhooks become messages", func(t *testing.T) {
		const customer, orderID = "115310627314723954", "820982911946154508"
		orders := shopifyOrder(t, 820982911946154508, time.Now(), nil)
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, orders), orders); a.status != http.StatusOK {
			t.Fatalf("orders/create: %s; want 200", a)
		}
		// Shopify may still sign with the old secret in the hour after a rotation.
		fulfillment := dated(t, testdata(t, "shopify", "fulfillments_create.json"), time.Now(), time.RFC3339, "created_at", "updated_at")
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("fulfillments/create", "wh-"+randomHex(6), shopifyPrevious, fulfillment), fulfillment); a.status != http.StatusOK {
			t.Fatalf("fulfillments/create signed with previous_secret: %s; want 200", a)
		}
		customers := dated(t, testdata(t, "shopify", "customers_create.json"), time.Now(), time.RFC3339, "created_at", "updated_at")
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("customers/create", "wh-"+randomHex(6), shopifySecret, customers), customers); a.status != http.StatusOK {
			t.Fatalf("customers/create: %s; want 200", a)
		}

		for _, c := range []struct{ flow, customer, path string }{
			{"thanks", customer, "/email"}, {"shipped", customer, "/email"}, {"tips", customer, "/email"},
			{"welcome", "706405506930370084", "/crm"},
		} {
			got := s.sink.await(t, c.flow+" message", 1, byFlow(c.flow, c.customer))
			checkDeliveries(t, got)
			if len(got) != 1 {
				t.Errorf("%s reached the sink %d times; want once:\n%s", c.flow, len(got), s.sink.summary())
			}
			if got[0].Path != c.path {
				t.Errorf("%s went to %s; want the %s endpoint", c.flow, got[0].Path, c.path)
			}
		}
		for _, flow := range []string{"thanks", "shipped", "tips"} {
			d := s.sink.matching(byFlow(flow, customer))[0]
			if txt := d.text(); !strings.Contains(txt, orderID) || !strings.Contains(txt, "John") {
				t.Errorf("%s message reads %q; want the order id %s and the first name John", flow, txt, orderID)
			}
			if d.Body.To.Email != "john@example.com" || d.Body.Shape != "email" {
				t.Errorf("%s message goes to %q as %q; want john@example.com as email", flow, d.Body.To.Email, d.Body.Shape)
			}
		}
		tips := s.sink.matching(byFlow("tips", customer))[0]
		if tips.Body.Category != "marketing" || !strings.HasPrefix(tips.Body.UnsubscribeURL, s.url("/u/")) {
			t.Errorf("the marketing message has category %q and unsubscribe_url %q; want marketing and a link under %s/u/",
				tips.Body.Category, tips.Body.UnsubscribeURL, s.ws.base)
		}
		welcome := s.sink.matching(byFlow("welcome", "706405506930370084"))[0]
		if welcome.Body.Payload["first_name"] != "Bob" || welcome.Body.Payload["email"] != "bob@biller.com" || welcome.Body.Payload["kind"] != "welcome" {
			t.Errorf("welcome payload is %v; want kind welcome, first_name Bob, email bob@biller.com", welcome.Body.Payload)
		}
		src := "shopify/" + shopDomain
		for _, id := range []string{src + "/order/" + orderID + "/placed", src + "/order/" + orderID + "/customer",
			src + "/fulfillment/123456/fulfilled", src + "/customer/706405506930370084/created"} {
			if n := s.db.count(t, "SELECT count(*) FROM events WHERE id = $1", id); n != 1 {
				t.Errorf("event %s is stored %d times; want once", id, n)
			}
		}
	})

	t.Run("woocommerce webhooks become messages", func(t *testing.T) {
		const guest = "john.doe@example.com"
		for _, c := range []struct{ topic, file string }{
			{"order.created", "order.created.json"},
			{"order.updated", "order.updated.json"}, // status completed: the order shipped
			{"customer.created", "customer.created.json"},
		} {
			body := dated(t, testdata(t, "woocommerce", c.file), time.Now(), wooTime, "date_created_gmt", "date_modified_gmt", "date_paid_gmt", "date_completed_gmt")
			if a := post(t, s.url("/webhooks/woocommerce"), wooHeaders(c.topic, randomHex(16), wooSecret, body), body); a.status != http.StatusOK {
				t.Fatalf("%s: %s; want 200", c.topic, a)
			}
		}
		for _, flow := range []string{"thanks", "shipped"} {
			got := s.sink.await(t, flow+" message", 1, byFlow(flow, guest))
			checkDeliveries(t, got)
			if len(got) != 1 {
				t.Errorf("%s reached the sink %d times; want once (order.updated repeats order.placed, which must be dropped):\n%s", flow, len(got), s.sink.summary())
			}
			if txt := got[0].text(); !strings.Contains(txt, "727") || !strings.Contains(txt, "John") {
				t.Errorf("%s message reads %q; want the order id 727 and the first name John", flow, txt)
			}
		}
		welcome := s.sink.await(t, "welcome message", 1, byFlow("welcome", "25"))
		if welcome[0].Body.Payload["first_name"] != "John" || welcome[0].Body.Payload["email"] != "john.doe@example.com" {
			t.Errorf("welcome payload is %v; want first_name John, email john.doe@example.com", welcome[0].Body.Payload)
		}
		// The guest never gave marketing consent: the tips are written, and skipped for it.
		ms := s.db.messages(t, "flow_id = 'tips' AND customer_id = $1", guest)
		if len(ms) != 1 || ms[0].Status != "skipped" || ms[0].Reason != "consent" {
			t.Errorf("tips for a guest without consent: %+v; want one message skipped for consent", ms)
		}
	})

	t.Run("woocommerce ping", func(t *testing.T) {
		h := http.Header{}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		h.Set("User-Agent", "WooCommerce/9.1.2 Hookshot (WordPress/6.5.5)")
		if a := post(t, s.url("/webhooks/woocommerce"), h, []byte("webhook_id=12")); a.status != http.StatusOK {
			t.Errorf("the unsigned ping WooCommerce sends when a webhook is created: %s; want 200", a)
		}
	})

	t.Run("bad requests store nothing", func(t *testing.T) {
		before := s.db.count(t, "SELECT count(*) FROM events")
		orders := shopifyOrder(t, 9000000001, time.Now(), nil)
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-bad", "not-the-secret", orders), orders); a.status != http.StatusUnauthorized {
			t.Errorf("Shopify delivery with a wrong signature: %s; want 401", a)
		}
		h := shopifyHeaders("orders/create", "wh-bad", shopifySecret, orders)
		h.Del("X-Shopify-Hmac-Sha256")
		if a := post(t, s.url("/webhooks/shopify"), h, orders); a.status != http.StatusUnauthorized {
			t.Errorf("Shopify delivery without a signature: %s; want 401", a)
		}
		woo := edit(t, testdata(t, "woocommerce", "order.created.json"), func(m map[string]any) { m["id"] = 9000000002 })
		if a := post(t, s.url("/webhooks/woocommerce"), wooHeaders("order.created", randomHex(16), "not-the-secret", woo), woo); a.status != http.StatusUnauthorized {
			t.Errorf("WooCommerce delivery with a wrong signature: %s; want 401", a)
		}

		// A body cut short in transit still carries a signature of what arrived, when a proxy
		// re-signs or the sender computed it on the truncated bytes: it must be refused as JSON.
		short := orders[:len(orders)/2]
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-short", shopifySecret, short), short); a.status < 400 || a.status > 499 {
			t.Errorf("truncated, validly signed Shopify body: %s; want 4xx", a)
		}
		// A body shorter than its Content-Length: the connection ends before the body does.
		if status := truncatedPost(t, s.ws.base, "/webhooks/shopify", shopifyHeaders("orders/create", "wh-short2", shopifySecret, orders), orders); status < 400 || status > 499 {
			t.Errorf("Shopify body shorter than its Content-Length: status %d; want 4xx", status)
		}

		good1 := event("batch-good-1", "order.placed", "c-batch", order("B-100"))
		bad := event("batch-bad", "order.placed", "c-batch", map[string]any{"total": "1.00", "currency": "USD"})
		good2 := event("batch-good-2", "customer.updated", "c-batch", map[string]any{"first_name": "Bo"})
		hd, body := eventsRequest(t, ingestToken, good1, bad, good2)
		a := post(t, s.url("/v1/events"), hd, body)
		if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), `"index":1`) || !strings.Contains(string(a.body), "order_id") {
			t.Errorf("a batch with one bad event: %s; want 400 naming index 1 and data.order_id", a)
		}
		// PostgreSQL text cannot hold NUL: such an id is the sender's mistake, and a retry
		// cannot fix it, so it must not be answered "retry later".
		hd, body = eventsRequest(t, ingestToken, good1, event("batch-nul", "customer.updated", "c-batch\x00x", map[string]any{"first_name": "Bo"}))
		if a := post(t, s.url("/v1/events"), hd, body); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), `"index":1`) {
			t.Errorf("a batch whose second event's subject holds a NUL: %s; want 400 naming index 1", a)
		}
		hd, body = eventsRequest(t, "wrong-token", good1)
		if a := post(t, s.url("/v1/events"), hd, body); a.status != http.StatusUnauthorized {
			t.Errorf("POST /v1/events with a wrong token: %s; want 401", a)
		}
		hd, body = eventsRequest(t, "", good1)
		if a := post(t, s.url("/v1/events"), hd, body); a.status != http.StatusUnauthorized {
			t.Errorf("POST /v1/events without a token: %s; want 401", a)
		}

		if after := s.db.count(t, "SELECT count(*) FROM events"); after != before {
			rows := s.db.texts(t, "SELECT id FROM events ORDER BY stored_at DESC LIMIT $1", after-before)
			t.Errorf("refused requests stored %d events: %v", after-before, rows)
		}
		if n := s.db.count(t, "SELECT count(*) FROM customers WHERE id = 'c-batch'"); n != 0 {
			t.Errorf("the refused batch created its customer")
		}
	})

	t.Run("the official CloudEvents SDK, in binary and structured modes", func(t *testing.T) {
		client, err := cloudevents.NewClientHTTP(cloudevents.WithTarget(s.url("/v1/events")),
			cehttp.WithHeader("Authorization", "Bearer "+ingestToken))
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
		for _, mode := range []string{"binary", "structured"} {
			ctx := context.Background() // binary is the SDK's default
			if mode == "structured" {
				ctx = cloudevents.WithEncodingStructured(ctx)
			}
			hello := cloudevents.NewEvent()
			hello.SetID("sdk-" + mode + "-customer")
			hello.SetSource("shop/sdk")
			hello.SetType("customer.created")
			hello.SetSubject("c-sdk-" + mode)
			hello.SetTime(at)
			if err := hello.SetData(cloudevents.ApplicationJSON, map[string]any{"email": mode + "@example.com", "first_name": "Zoë"}); err != nil {
				t.Fatal(err)
			}
			if res := client.Send(ctx, hello); !cloudevents.IsACK(res) {
				t.Fatalf("%s: the SDK's send was not acknowledged: %v", mode, res)
			}
			e := cloudevents.NewEvent()
			e.SetID("sdk-" + mode)
			e.SetSource("shop/sdk")
			e.SetType("order.placed")
			e.SetSubject("c-sdk-" + mode)
			e.SetTime(at)
			data := map[string]any{"order_id": "SDK-" + mode, "total": json.Number("12.30"), "currency": "EUR",
				"items": []any{map[string]any{"sku": "SER-30", "quantity": 2, "price": "6.15"}}}
			if err := e.SetData(cloudevents.ApplicationJSON, data); err != nil {
				t.Fatal(err)
			}
			if res := client.Send(ctx, e); !cloudevents.IsACK(res) {
				t.Fatalf("%s: the SDK's send was not acknowledged: %v", mode, res)
			}
			rows := s.db.texts(t, `SELECT concat_ws('|', customer_id, source, type, specversion, datacontenttype,
				to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS'), data->>'order_id', data->>'total', data->>'currency',
				data->'items'->0->>'quantity') FROM events WHERE id = $1`, "sdk-"+mode)
			want := strings.Join([]string{"c-sdk-" + mode, "shop/sdk", "order.placed", "1.0", "application/json",
				at.Format("2006-01-02T15:04:05.000"), "SDK-" + mode, "12.30", "EUR", "2"}, "|")
			if len(rows) != 1 || rows[0] != want {
				t.Errorf("%s: stored %q; want %q", mode, rows, want)
			}
			// The event is a customer's order like any other: it starts the thank-you flow.
			got := s.sink.await(t, mode+" thank-you", 1, byFlow("thanks", "c-sdk-"+mode))
			if txt := got[0].text(); !strings.Contains(txt, "SDK-"+mode) || !strings.Contains(txt, "Zoë") || got[0].Body.To.Email != mode+"@example.com" {
				t.Errorf("%s: the thank-you to %q reads %q; want it to %s@example.com with the order id and the first name", mode, got[0].Body.To.Email, txt, mode)
			}
		}
		// A redelivery by the SDK, with the same id, is acknowledged and dropped.
		again := cloudevents.NewEvent()
		again.SetID("sdk-binary")
		again.SetSource("shop/sdk")
		again.SetType("customer.updated")
		again.SetSubject("c-sdk-binary")
		again.SetTime(at)
		if res := client.Send(context.Background(), again); !cloudevents.IsACK(res) {
			t.Fatalf("a redelivery was not acknowledged: %v", res)
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE id = 'sdk-binary'"); n != 1 {
			t.Errorf("event sdk-binary stored %d times; want once", n)
		}
	})

	t.Run("a redelivered webhook is processed once", func(t *testing.T) {
		const orderID = "7000000001"
		orders := shopifyOrder(t, 7000000001, time.Now(), nil)
		webhookID := "wh-" + randomHex(6)
		for i := range 2 {
			if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", webhookID, shopifySecret, orders), orders); a.status != http.StatusOK {
				t.Fatalf("delivery %d: %s; want 200", i+1, a)
			}
		}
		id := "shopify/" + shopDomain + "/order/" + orderID + "/placed"
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE id = $1", id); n != 1 {
			t.Errorf("event %s stored %d times; want once", id, n)
		}
		if n := s.db.count(t, "SELECT count(*) FROM journeys WHERE flow_id = 'thanks' AND key = $1", orderID); n != 1 {
			t.Errorf("%d thank-you journeys for order %s; want one", n, orderID)
		}
		awaitSent(t, s.db, "flow_id = 'thanks' AND journey_id IN (SELECT id FROM journeys WHERE key = $1)", orderID)
		got := s.sink.await(t, "thank-you for the redelivered order", 1, func(d delivery) bool {
			return d.Body.Flow == "thanks" && strings.Contains(d.text(), orderID)
		})
		if len(got) != 1 {
			t.Errorf("the order delivered twice by Shopify reached the sink %d times; want once:\n%s", len(got), s.sink.summary())
		}

		// Shopify retries a delivery it got no answer to in time, so copies can arrive together.
		const concurrentID = "7000000002"
		orders = shopifyOrder(t, 7000000002, time.Now(), nil)
		h := shopifyHeaders("orders/create", "wh-"+randomHex(6), shopifySecret, orders)
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a, err := tryPost(s.url("/webhooks/shopify"), h, orders); err != nil || a.status != http.StatusOK {
					t.Errorf("a concurrent copy of a delivery: %v %v; want 200", a, err)
				}
			}()
		}
		wg.Wait()
		if n := s.db.count(t, "SELECT count(*) FROM journeys WHERE flow_id = 'thanks' AND key = $1", concurrentID); n != 1 {
			t.Errorf("%d thank-you journeys for order %s delivered six times at once; want one", n, concurrentID)
		}
		awaitSent(t, s.db, "flow_id = 'thanks' AND journey_id IN (SELECT id FROM journeys WHERE key = $1)", concurrentID)
		got = s.sink.await(t, "thank-you for the order delivered six times at once", 1, func(d delivery) bool {
			return d.Body.Flow == "thanks" && strings.Contains(d.text(), concurrentID)
		})
		if len(got) != 1 {
			t.Errorf("the order delivered six times at once reached the sink %d times; want once", len(got))
		}
	})

	t.Run("metrics agree with the database", func(t *testing.T) {
		evs := []map[string]any{
			event("m-1", "customer.created", "c-metrics", map[string]any{"first_name": "Mia", "email": "mia@example.com"}),
			event("m-2", "order.placed", "c-metrics", order("M-1")),
		}
		postEvents(t, s.ws.base, evs...)
		postEvents(t, s.ws.base, evs...) // a sender's retry: both are duplicates
		awaitQuiet(t, s.db)
		m := scrape(t, s.ws.base)

		processed := m.family("afterglow_events_processed_total", "type")
		var sumProcessed float64
		for _, typ := range s.db.texts(t, "SELECT DISTINCT type FROM events") {
			want := s.db.count(t, "SELECT count(*) FROM events WHERE type = $1", typ)
			if processed[typ] != float64(want) {
				t.Errorf("afterglow_events_processed_total{type=%q} = %v; the database holds %d", typ, processed[typ], want)
			}
		}
		for _, v := range processed {
			sumProcessed += v
		}
		var sumReceived float64
		for _, v := range m.family("afterglow_events_received_total", "type") {
			sumReceived += v
		}
		dups := m.get("afterglow_events_duplicate_total")
		if dups < 2 || sumReceived != sumProcessed+dups {
			t.Errorf("received %v events, processed %v, dropped %v as duplicates; want received = processed + duplicates, with at least the 2 resent here",
				sumReceived, sumProcessed, dups)
		}
		if got := m.get("afterglow_events_received_total", "source", "http", "type", "order.placed"); got < 2 {
			t.Errorf(`afterglow_events_received_total{source="http",type="order.placed"} = %v; want at least 2`, got)
		}
		if got := m.get("afterglow_events_received_total", "source", "shopify", "type", "order.placed"); got < 1 {
			t.Errorf(`afterglow_events_received_total{source="shopify",type="order.placed"} = %v; want at least 1`, got)
		}

		for _, ch := range []string{"email", "crm"} {
			sent := s.db.count(t, "SELECT count(*) FROM messages WHERE channel = $1 AND status = 'sent'", ch)
			atSink := len(s.sink.matching(func(d delivery) bool { return d.Body.Channel == ch }))
			if got := m.get("afterglow_messages_sent_total", "channel", ch); got != float64(sent) || sent != atSink || sent == 0 {
				t.Errorf("channel %s: afterglow_messages_sent_total %v, %d sent in the database, %d at the sink; want equal and above 0", ch, got, sent, atSink)
			}
		}
		for _, st := range []string{"sent", "skipped"} {
			for _, ch := range []string{"email", "crm"} {
				want := s.db.count(t, "SELECT count(*) FROM messages WHERE channel = $1 AND status = $2", ch, st)
				if got := m.get("afterglow_messages", "channel", ch, "status", st); got != float64(want) {
					t.Errorf(`afterglow_messages{channel=%q,status=%q} = %v; the database holds %d`, ch, st, got, want)
				}
			}
		}
		if got := m.get("afterglow_messages", "channel", "email", "status", "skipped"); got < 1 {
			t.Errorf("no skipped email in afterglow_messages; the guest's tips were skipped for consent")
		}
		entered := s.db.count(t, "SELECT count(*) FROM journeys WHERE flow_id = 'thanks'")
		if got := m.get("afterglow_journeys_total", "flow", "thanks", "outcome", "entered"); got != float64(entered) {
			t.Errorf(`afterglow_journeys_total{flow="thanks",outcome="entered"} = %v; the database holds %d journeys`, got, entered)
		}
		if m.get("afterglow_reload_success") != 1 || m.get("afterglow_reloads_total", "result", "success") < 1 || !m.has("afterglow_reloads_total", "result", "failure") {
			t.Errorf("reload metrics: success %v, reloads %v ok / %v failed; want the start-up load counted as a success",
				m.get("afterglow_reload_success"), m.get("afterglow_reloads_total", "result", "success"), m.get("afterglow_reloads_total", "result", "failure"))
		}
		if m.get("afterglow_up") != 1 || !m.has("afterglow_timer_lag_seconds") || !m.has("afterglow_message_lag_seconds") {
			t.Errorf("afterglow_up %v, timer and message lag present: %v %v; want 1 and both",
				m.get("afterglow_up"), m.has("afterglow_timer_lag_seconds"), m.has("afterglow_message_lag_seconds"))
		}

		// The Go runtime and the process, as every Go service exports them.
		for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
			if m.get(name) <= 0 {
				t.Errorf("%s = %v; want the runtime's or the process's figure", name, m.get(name))
			}
		}
		// Latency histograms: every committed batch, and every send by connector and outcome.
		if n := m.get("afterglow_ingest_batch_seconds_count"); n < 1 || m.get("afterglow_ingest_batch_seconds_bucket", "le", "+Inf") != n {
			t.Errorf("afterglow_ingest_batch_seconds: count %v, +Inf bucket %v; want the batches committed so far", n, m.get("afterglow_ingest_batch_seconds_bucket", "le", "+Inf"))
		}
		for _, ch := range []string{"email", "crm"} {
			sent := s.db.count(t, "SELECT count(*) FROM messages WHERE channel = $1 AND status = 'sent'", ch)
			if got := m.get("afterglow_send_seconds_count", "connector", "webhook", "channel", ch, "outcome", "sent"); got != float64(sent) {
				t.Errorf(`afterglow_send_seconds_count{connector="webhook",channel=%q,outcome="sent"} = %v; %d sent in the database`, ch, got, sent)
			}
		}
		if !m.has("afterglow_due_journey_lag_seconds_count") || !m.has("afterglow_due_journey_oldest_lag_seconds") {
			t.Error("the due-journey lag histogram or gauge is missing")
		}
	})

	t.Run("unsubscribe", func(t *testing.T) {
		const customer = "c-unsub"
		postEvents(t, s.ws.base,
			event("u-1", "customer.created", customer, map[string]any{"first_name": "Ana", "email": "ana@example.com", "consent": map[string]any{"email": true}}),
			event("u-2", "order.fulfilled", customer, map[string]any{"order_id": "U-1"}))
		tips := s.sink.await(t, "tips for Ana", 1, byFlow("tips", customer))
		link := tips[0].Body.UnsubscribeURL
		if !strings.HasPrefix(link, s.url("/u/")) {
			t.Fatalf("the marketing email carries unsubscribe_url %q; want a link under %s/u/", link, s.ws.base)
		}
		consent := func() string {
			v := s.db.texts(t, "SELECT coalesce(consent->'email'->>'granted', '(unset)') FROM customers WHERE id = $1", customer)
			if len(v) != 1 {
				t.Fatalf("customer %s is not in the database", customer)
			}
			return v[0]
		}
		if c := consent(); c != "true" {
			t.Fatalf("consent before unsubscribing is %s; want true", c)
		}

		// Mail scanners follow every link: a GET shows the page and changes nothing.
		a := get(t, link)
		if a.status != http.StatusOK || !strings.Contains(string(a.body), `<form method="post"`) {
			t.Errorf("GET of the unsubscribe link: %s; want 200 with a form that posts", a)
		}
		if c := consent(); c != "true" {
			t.Errorf("a GET of the unsubscribe link changed the consent to %s", c)
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE customer_id = $1 AND type = 'consent.updated'", customer); n != 0 {
			t.Errorf("a GET of the unsubscribe link recorded %d consent.updated events", n)
		}
		forged := link[:len(link)-3] + "AAA"
		if a := get(t, forged); a.status != http.StatusNotFound {
			t.Errorf("GET of a forged link: %s; want 404", a)
		}
		if a := post(t, forged, nil, nil); a.status != http.StatusNotFound {
			t.Errorf("POST of a forged link: %s; want 404", a)
		}
		if c := consent(); c != "true" {
			t.Errorf("a forged link changed the consent to %s", c)
		}

		h := http.Header{}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		if a := post(t, link, h, nil); a.status != http.StatusOK || !strings.Contains(string(a.body), "unsubscribed") {
			t.Errorf("POST of the unsubscribe link: %s; want 200 saying so", a)
		}
		if c := consent(); c != "false" {
			t.Errorf("consent after the POST is %s; want false", c)
		}
		if n := s.db.count(t, `SELECT count(*) FROM events WHERE customer_id = $1 AND type = 'consent.updated'
			AND data->>'channel' = 'email' AND data->>'granted' = 'false'`, customer); n != 1 {
			t.Errorf("%d consent.updated events withdrawing email after one click; want 1", n)
		}
		// RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click". Every click is recorded.
		if a := post(t, link, h, []byte("List-Unsubscribe=One-Click")); a.status != http.StatusOK {
			t.Errorf("a second POST of the link: %s; want 200", a)
		}
		if c := consent(); c != "false" {
			t.Errorf("consent after the second POST is %s; want false", c)
		}

		// Subscribed again, then the old link clicked again: the click applies.
		postEvents(t, s.ws.base, event("u-resub", "consent.updated", customer, map[string]any{"channel": "email", "granted": true}))
		if c := consent(); c != "true" {
			t.Fatalf("consent after subscribing again is %s; want true", c)
		}
		if a := post(t, link, h, []byte("List-Unsubscribe=One-Click")); a.status != http.StatusOK {
			t.Errorf("the old link clicked after subscribing again: %s; want 200", a)
		}
		if c := consent(); c != "false" {
			t.Errorf("consent after clicking the old link again is %s; want false", c)
		}
		if n := s.db.count(t, `SELECT count(*) FROM events WHERE customer_id = $1 AND type = 'consent.updated'
			AND data->>'granted' = 'false'`, customer); n != 3 {
			t.Errorf("%d withdrawals recorded for three clicks; want 3", n)
		}

		postEvents(t, s.ws.base, event("u-3", "order.fulfilled", customer, map[string]any{"order_id": "U-2"}))
		s.sink.await(t, "the shipping notice of U-2 (transactional: it ignores consent)", 1, func(d delivery) bool {
			return d.Body.Flow == "shipped" && d.Body.CustomerID == customer && strings.Contains(d.text(), "U-2")
		})
		ms := s.db.messages(t, "flow_id = 'tips' AND customer_id = $1", customer)
		if len(ms) != 2 || ms[0].Status != "sent" || ms[1].Status != "skipped" || ms[1].Reason != "consent" {
			t.Errorf("tips for %s: %+v; want the first sent and the one after unsubscribing skipped for consent", customer, ms)
		}
	})

	t.Run("a late order never undoes an unsubscribe", func(t *testing.T) {
		const customer = "4200000001"
		granted := event("late-grant", "consent.updated", customer, map[string]any{"channel": "email", "granted": true})
		granted["time"] = time.Now().Add(-3 * time.Hour).UTC().Format(time.RFC3339Nano)
		postEvents(t, s.ws.base, granted)
		link := s.url("/u/" + unsubscribe.Sign([]byte(appSecret), unsubscribe.Token{CustomerID: customer, Channel: "email", MessageID: "m-late"}))
		if a := post(t, link, nil, nil); a.status != http.StatusOK {
			t.Fatalf("POST of the unsubscribe link: %s; want 200", a)
		}
		// Shopify retries an order placed two hours ago, before the click, with the box ticked.
		order := shopifyOrder(t, 4200000002, time.Now().Add(-2*time.Hour), func(m map[string]any) {
			m["buyer_accepts_marketing"] = true
			m["customer"].(map[string]any)["id"] = json.Number(customer)
		})
		if a := post(t, s.url("/webhooks/shopify"), shopifyHeaders("orders/create", "wh-retry-"+randomHex(4), shopifySecret, order), order); a.status != http.StatusOK {
			t.Fatalf("the retried order: %s; want 200", a)
		}
		if n := s.db.count(t, "SELECT count(*) FROM events WHERE customer_id = $1 AND type = 'order.placed'", customer); n != 1 {
			t.Fatalf("the retried order is stored %d times; want once", n)
		}
		got := s.db.texts(t, `SELECT consent->'email'->>'granted' || ' ' || (consent->'email'->>'type') || ' ' || (consent->'email'->>'event')
			FROM customers WHERE id = $1`, customer)
		if len(got) != 1 || !strings.HasPrefix(got[0], "false consent.updated unsubscribe/m-late/") {
			t.Errorf("email consent after a late order with buyer_accepts_marketing: %v; want false, set by the click (unsubscribe/m-late/...)", got)
		}
	})

	t.Run("hot reload: new journeys get the new version, journeys in flight keep theirs", func(t *testing.T) {
		const customer = "c-reload"
		before := scrape(t, s.ws.base).get("afterglow_reloads_total", "result", "success")
		postEvents(t, s.ws.base,
			event("r-0", "customer.created", customer, map[string]any{"first_name": "Rita", "email": "rita@example.com"}),
			event("r-1", "checkout.started", customer, map[string]any{"checkout_id": "K-1"}))
		oldVersion := s.db.texts(t, "SELECT flow_version FROM journeys WHERE flow_id = 'nudge' AND key = 'K-1' AND status = 'active'")
		if len(oldVersion) != 1 {
			t.Fatalf("no active nudge journey for K-1")
		}

		s.ws.save(t, "flows/nudge.yaml", nudgeFlow("1s", "v2"))
		awaitReload(t, s.ws.base, "success", before)
		// The first journey waits 4s from its start; the reload came well within that.
		if n := s.db.count(t, "SELECT count(*) FROM journeys WHERE flow_id = 'nudge' AND key = 'K-1' AND status = 'active'"); n != 1 {
			t.Fatalf("the K-1 journey ended before the reload was applied: the test's 4s wait was too short on this machine")
		}
		postEvents(t, s.ws.base, event("r-2", "checkout.started", customer, map[string]any{"checkout_id": "K-2"}))
		newVersion := s.db.texts(t, "SELECT flow_version FROM journeys WHERE flow_id = 'nudge' AND key = 'K-2'")
		if len(newVersion) != 1 || newVersion[0] == oldVersion[0] {
			t.Fatalf("the journey entered after the edit runs version %v; want a new version, not %s", newVersion, oldVersion[0])
		}

		for _, c := range []struct{ checkout, version, flowVersion string }{
			{"K-2", "v2", newVersion[0]}, {"K-1", "v1", oldVersion[0]},
		} {
			got := s.sink.await(t, "nudge for "+c.checkout, 1, func(d delivery) bool {
				return d.Body.Flow == "nudge" && strings.Contains(d.text(), "Checkout "+c.checkout+":")
			})
			if txt := got[0].text(); !strings.Contains(txt, "nudge "+c.version) {
				t.Errorf("the nudge of %s reads %q; want %s's content", c.checkout, txt, c.version)
			}
			ms := s.db.messages(t, "flow_id = 'nudge' AND id = $1", got[0].Body.ID)
			if len(ms) != 1 || ms[0].FlowVersion != c.flowVersion {
				t.Errorf("the nudge of %s: %+v; want it written by version %s", c.checkout, ms, c.flowVersion)
			}
		}
	})

	t.Run("a broken flow is rejected and the last good set keeps running", func(t *testing.T) {
		good := flowFiles["flows/thanks.yaml"]
		for _, c := range []struct {
			name, file, src string
			says            []string // the log line naming the file must contain one of these
		}{
			{"invalid YAML", "flows/thanks.yaml", "flow: thanks\ntrigger: {event: order.placed\nsteps: []\n", []string{"yaml", "YAML", "flow mapping", "did not find"}},
			{"a bad duration", "flows/thanks.yaml", strings.Replace(good, "steps:\n", "steps:\n  - id: pause\n    wait: 3 days\n", 1), []string{"3 days", "duration"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				m := scrape(t, s.ws.base)
				failures, successes := m.get("afterglow_reloads_total", "result", "failure"), m.get("afterglow_reloads_total", "result", "success")
				mark := s.proc.logs.len()
				s.ws.save(t, c.file, c.src)
				restored := false
				t.Cleanup(func() {
					// Whatever failed above, the next checks need the good file back.
					if !restored {
						s.ws.save(t, c.file, good)
					}
				})
				awaitReload(t, s.ws.base, "failure", failures)
				if got := scrape(t, s.ws.base).get("afterglow_reload_success"); got != 0 {
					t.Errorf("afterglow_reload_success = %v after a rejected reload; want 0", got)
				}

				// The old thank-you flow still runs.
				orderID := "BR-" + randomHex(3)
				postEvents(t, s.ws.base,
					event("br-c-"+orderID, "customer.updated", "c-broken", map[string]any{"first_name": "Bea", "email": "bea@example.com"}),
					event("br-o-"+orderID, "order.placed", "c-broken", order(orderID)))
				got := s.sink.await(t, "thank-you under the last good flows", 1, func(d delivery) bool {
					return d.Body.Flow == "thanks" && strings.Contains(d.text(), orderID)
				})
				if txt := got[0].text(); !strings.Contains(txt, "Thank you, Bea! Order "+orderID) {
					t.Errorf("the thank-you reads %q; want the last good template's", txt)
				}

				var named, rejected bool
				for _, e := range s.proc.logs.entries(t, mark) {
					file, _ := e["file"].(string)
					msg, _ := e["message"].(string)
					if e["level"] == "error" && strings.HasSuffix(file, c.file) && containsAny(msg, c.says) {
						named = true
					}
					if strings.Contains(msg, "reload rejected") {
						rejected = true
					}
				}
				if !named || !rejected {
					t.Errorf("the log names the file and the problem: %v, says the reload was rejected: %v; the log since the edit:\n%s",
						named, rejected, strings.Join(s.proc.logs.all()[mark:], "\n"))
				}

				s.ws.save(t, c.file, good)
				restored = true
				awaitReload(t, s.ws.base, "success", successes)
				if got := scrape(t, s.ws.base).get("afterglow_reload_success"); got != 1 {
					t.Errorf("afterglow_reload_success = %v after the file was fixed; want 1", got)
				}
			})
		}
	})

	t.Run("a link to /dev/zero or a named pipe in the flows is a rejected reload", func(t *testing.T) {
		for _, c := range []struct {
			name, says string
			make       func(p string) error
		}{
			{"zero.yaml", "zero.yaml is a link to /dev/zero, outside the workspace", func(p string) error { return os.Symlink("/dev/zero", p) }},
			{"pipe.yaml", "pipe.yaml is a named pipe (FIFO)", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
		} {
			m := scrape(t, s.ws.base)
			failures, successes := m.get("afterglow_reloads_total", "result", "failure"), m.get("afterglow_reloads_total", "result", "success")
			mark := s.proc.logs.len()
			p := filepath.Join(s.ws.dir, "flows", c.name)
			if err := c.make(p); err != nil {
				t.Fatal(err)
			}
			awaitReload(t, s.ws.base, "failure", failures)
			if !s.proc.running() || scrape(t, s.ws.base).get("afterglow_reload_success") != 0 {
				t.Errorf("%s: the process is running: %v, afterglow_reload_success %v; want running and 0", c.name, s.proc.running(), scrape(t, s.ws.base).get("afterglow_reload_success"))
			}
			var named bool
			for _, e := range s.proc.logs.entries(t, mark) {
				if msg, _ := e["message"].(string); e["level"] == "error" && strings.Contains(msg, c.says) {
					named = true
				}
			}
			if !named {
				t.Errorf("the log does not say %q; the log since:\n%s", c.says, strings.Join(s.proc.logs.all()[mark:], "\n"))
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			awaitReload(t, s.ws.base, "success", successes)
		}
	})

	t.Run("SIGHUP reloads", func(t *testing.T) {
		before := scrape(t, s.ws.base).get("afterglow_reloads_total", "result", "success")
		mark := s.proc.logs.len()
		s.proc.signal(syscall.SIGHUP)
		awaitReload(t, s.ws.base, "success", before)
		var loaded bool
		for _, e := range s.proc.logs.entries(t, mark) {
			if e["message"] == "workspace loaded" {
				loaded = true
			}
		}
		if !loaded {
			t.Errorf("no \"workspace loaded\" line after SIGHUP; the log since:\n%s", strings.Join(s.proc.logs.all()[mark:], "\n"))
		}
		if !s.proc.running() {
			t.Errorf("the process exited on SIGHUP")
		}
	})

	t.Run("the database drops every connection", func(t *testing.T) {
		// As a failover or a restart of PostgreSQL does: the process must come back by itself.
		n := s.db.count(t, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name <> $1) t`, testApplication)
		if n == 0 {
			t.Fatal("the process holds no connection to terminate")
		}
		// A sender retries a 503; within a few tries the events are taken.
		h, b := eventsRequest(t, ingestToken,
			event("db-1", "customer.created", "c-db", map[string]any{"first_name": "Dora", "email": "dora@example.com"}),
			event("db-2", "order.placed", "c-db", order("DB-1")))
		eventually(t, 20*time.Second, func() (bool, string) {
			a := post(t, s.url("/v1/events"), h, b)
			return a.status == http.StatusAccepted, "POST /v1/events: " + a.String()
		})
		s.sink.await(t, "thank-you after the connections were dropped", 1, func(d delivery) bool {
			return d.Body.Flow == "thanks" && strings.Contains(d.text(), "DB-1")
		})
		eventually(t, 20*time.Second, func() (bool, string) {
			a := get(t, s.url("/readyz"))
			return a.status == http.StatusOK, "GET /readyz: " + a.String()
		})
	})

	t.Run("every delivery was signed and keyed", func(t *testing.T) {
		all := s.sink.all()
		checkDeliveries(t, all)
		perKey := map[string]int{}
		for _, d := range all {
			perKey[d.Key]++
		}
		for k, n := range perKey {
			if n > 1 {
				t.Errorf("idempotency key %s reached the sink %d times; a process that was never killed sends each message once", k, n)
			}
		}
	})
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// awaitReload polls /metrics until afterglow_reloads_total{result} exceeds before.
func awaitReload(t *testing.T, base, result string, before float64) {
	t.Helper()
	eventually(t, 15*time.Second, func() (bool, string) {
		got := scrape(t, base).get("afterglow_reloads_total", "result", result)
		return got > before, fmt.Sprintf("afterglow_reloads_total{result=%q} is still %v", result, got)
	})
}

// awaitSent polls until every message matching where is sent (and there is at least one).
func awaitSent(t *testing.T, db *database, where string, args ...any) {
	t.Helper()
	eventually(t, 20*time.Second, func() (bool, string) {
		ms := db.messages(t, where, args...)
		for _, m := range ms {
			if m.Status != "sent" {
				return false, fmt.Sprintf("message %s is %s (%s)", m.ID, m.Status, m.Reason)
			}
		}
		return len(ms) > 0, "no message written yet"
	})
}

// awaitQuiet polls until no message that is due waits to be sent.
func awaitQuiet(t *testing.T, db *database) {
	t.Helper()
	eventually(t, 30*time.Second, func() (bool, string) {
		n := db.count(t, "SELECT count(*) FROM messages WHERE status IN ('pending', 'sending') AND send_at <= now()")
		return n == 0, fmt.Sprintf("%d due messages not sent yet", n)
	})
}

// truncatedPost sends a request whose body ends before its Content-Length, as a connection
// dropped mid-upload does, and returns the status of the answer.
func truncatedPost(t *testing.T, base, path string, header http.Header, body []byte) int {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", path, u.Host, len(body))
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(body[:len(body)/2])
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a truncated body: %v", err)
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// burst posts one order.placed per id from workers goroutines, each event its own request, and
// reports which were acknowledged. Requests to a process that is gone fail; they are not
// acknowledged.
func burst(base string, ids []string, workers int, acked func(id string)) (unacked []string) {
	work := make(chan string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				b, _ := json.Marshal([]map[string]any{event(id, "order.placed", "k-"+id, order(id))})
				h := http.Header{}
				h.Set("Content-Type", "application/cloudevents-batch+json")
				h.Set("Authorization", "Bearer "+ingestToken)
				a, err := tryPost(base+"/v1/events", h, b)
				if err == nil && a.status == http.StatusAccepted {
					acked(id)
					continue
				}
				mu.Lock()
				unacked = append(unacked, id)
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	return unacked
}

// orderCustomers prepares the customers of a burst (with an email, so that their thank-yous
// leave) and returns the order ids.
func orderCustomers(t *testing.T, base, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	var evs []map[string]any
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
		evs = append(evs, event("c-"+ids[i], "customer.created", "k-"+ids[i], map[string]any{"first_name": "K", "email": ids[i] + "@example.com"}))
	}
	for len(evs) > 0 {
		k := min(len(evs), 200)
		postEvents(t, base, evs[:k]...)
		evs = evs[k:]
	}
	return ids
}

// TestKillAndRestart kills the process while it takes events and sends messages, starts it
// again, and checks that nothing acknowledged was lost and nothing was sent twice but what was in
// flight at the moment of the kill.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	sk.setDelay(30 * time.Millisecond) // so that sends are in flight when the process dies
	ws := newWorkspace(t, sk.URL())
	first := start(t, "first", ws.config, ws.base, ws.env(db, "first"))

	// The customers (with their welcome messages to the CRM) first, and a first wave of orders,
	// so that the dispatcher is busy when the burst comes.
	warm := orderCustomers(t, ws.base, "W", 60)
	ids := orderCustomers(t, ws.base, "K", 300)
	if un := burst(ws.base, warm, 8, func(string) {}); len(un) > 0 {
		t.Fatalf("the first wave was not acknowledged: %v", un)
	}
	sk.await(t, "deliveries before the kill", 10, func(delivery) bool { return true })

	var mu sync.Mutex
	acked := map[string]bool{}
	killed := false
	var once sync.Once
	unacked := burst(ws.base, ids, 16, func(id string) {
		mu.Lock()
		acked[id] = true
		n := len(acked)
		mu.Unlock()
		if n == len(ids)/3 {
			once.Do(func() {
				first.kill()
				killed = true
			})
		}
	})
	if !killed || len(unacked) == 0 || len(acked) == 0 {
		t.Fatalf("the kill came at the wrong moment: %d events acknowledged, %d not; the test needs both", len(acked), len(unacked))
	}
	t.Logf("killed with %d of %d events acknowledged; %d deliveries had reached the sink", len(acked), len(ids), len(sk.all()))

	// Acknowledged means committed: every such event is stored, and processed (its journey and
	// message exist), before anything runs again.
	var ackedIDs []string
	for id := range acked {
		ackedIDs = append(ackedIDs, id)
	}
	if n := db.count(t, "SELECT count(*) FROM events WHERE id = ANY($1)", ackedIDs); n != len(ackedIDs) {
		t.Errorf("%d of the %d acknowledged events are stored", n, len(ackedIDs))
	}
	if n := db.count(t, "SELECT count(*) FROM journeys WHERE flow_id = 'thanks' AND key = ANY($1)", ackedIDs); n != len(ackedIDs) {
		t.Errorf("%d of the %d acknowledged orders have their thank-you journey", n, len(ackedIDs))
	}
	if n := db.count(t, "SELECT count(*) FROM messages WHERE flow_id = 'thanks' AND journey_id IN (SELECT id FROM journeys WHERE key = ANY($1))", ackedIDs); n != len(ackedIDs) {
		t.Errorf("%d of the %d acknowledged orders have their thank-you written", n, len(ackedIDs))
	}

	sk.setDelay(0)
	start(t, "second", ws.config, ws.base, ws.env(db, "second"))
	// A sender retries what was not acknowledged; some of it may have been committed already.
	if again := burst(ws.base, unacked, 8, func(string) {}); len(again) > 0 {
		t.Fatalf("%d events not acknowledged by the restarted process", len(again))
	}
	// Messages leased by the dead process come back when their lease (10s) ends.
	awaitQuiet(t, db)

	all := append(append([]string{}, warm...), ids...)
	if n := db.count(t, "SELECT count(*) FROM events WHERE type = 'order.placed' AND id = ANY($1)", all); n != len(all) {
		t.Errorf("%d of %d orders stored", n, len(all))
	}
	ms := db.messages(t, "")
	if want := 2 * len(all); len(ms) != want {
		t.Errorf("%d messages written; want %d (a welcome and a thank-you per customer)", len(ms), want)
	}
	deliveries := sk.all()
	checkDeliveries(t, deliveries)
	byID := map[string][]delivery{}
	for _, d := range deliveries {
		byID[d.Body.ID] = append(byID[d.Body.ID], d)
	}
	repeated := 0
	for _, m := range ms {
		ds := byID[m.ID]
		switch {
		case m.Status != "sent":
			t.Errorf("message %s is %s (%s); every message written must be delivered", m.ID, m.Status, m.Reason)
		case len(ds) == 0:
			t.Errorf("message %s is marked sent but never reached the sink", m.ID)
		case len(ds) > 1:
			repeated++
			for _, d := range ds {
				if d.Key != m.Key || string(d.Raw) != string(ds[0].Raw) {
					t.Errorf("message %s was repeated with Idempotency-Key %q (want %q) or another body", m.ID, d.Key, m.Key)
				}
			}
			// Only a send in flight when the first process died may repeat: once, by the second.
			if len(ds) != 2 || ds[0].Process != "first" || ds[1].Process != "second" {
				var by []string
				for _, d := range ds {
					by = append(by, d.Process)
				}
				t.Errorf("message %s reached the sink %d times, sent by %v; only a send in flight at the kill may repeat, once, after the restart", m.ID, len(ds), by)
			}
		}
	}
	// Each dispatcher has at most delivery.concurrency sends in flight.
	if repeated > 4 {
		t.Errorf("%d messages were delivered twice; at most the 4 in flight at the kill may be", repeated)
	}
	if len(byID) != len(ms) {
		t.Errorf("the sink received %d distinct messages; the database holds %d", len(byID), len(ms))
	}
	t.Logf("%d messages, %d deliveries, %d repeated after the kill", len(ms), len(deliveries), repeated)
}

// TestTerminateDrains stops the process with SIGTERM while events arrive: it exits 0, and every
// event it acknowledged is processed.
func TestTerminateDrains(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	ws := newWorkspace(t, sk.URL())
	p := start(t, "main", ws.config, ws.base, ws.env(db, "main"))
	ids := orderCustomers(t, ws.base, "T", 150)
	// A journey waits across the restart, and its flow changes while the process is down.
	postEvents(t, ws.base, event("t-k1", "checkout.started", "k-T-000", map[string]any{"checkout_id": "TK-1"}))
	// The welcomes are being sent, slowly, when the signal comes.
	sk.setDelay(20 * time.Millisecond)
	sk.await(t, "welcomes before the signal", 1, func(delivery) bool { return true })

	var mu sync.Mutex
	var acked []string
	var once sync.Once
	unacked := burst(ws.base, ids, 16, func(id string) {
		mu.Lock()
		acked = append(acked, id)
		n := len(acked)
		mu.Unlock()
		if n == 20 {
			once.Do(func() { p.signal(syscall.SIGTERM) })
		}
	})
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("afterglow run exited with %d after SIGTERM; want 0", code)
	}
	t.Logf("%d events acknowledged, %d refused during the shutdown", len(acked), len(unacked))
	if n := db.count(t, "SELECT count(*) FROM events WHERE id = ANY($1)", acked); n != len(acked) {
		t.Errorf("%d of the %d acknowledged events are stored", n, len(acked))
	}
	if n := db.count(t, "SELECT count(*) FROM messages WHERE flow_id = 'thanks' AND journey_id IN (SELECT id FROM journeys WHERE key = ANY($1))", acked); n != len(acked) {
		t.Errorf("%d of the %d acknowledged orders have their thank-you written", n, len(acked))
	}
	if n := db.count(t, "SELECT count(*) FROM messages WHERE status = 'sending'"); n != 0 {
		t.Errorf("%d messages left leased: a drained process finishes the sends it began", n)
	}
	var stopped bool
	for _, e := range p.logs.entries(t, 0) {
		if e["message"] == "stopped" {
			stopped = true
		}
	}
	if !stopped {
		t.Errorf("the log does not end with \"stopped\"")
	}

	// What was written and not yet sent leaves with the next start, once.
	sk.setDelay(0)
	ws.save(t, "flows/nudge.yaml", nudgeFlow("1s", "v2"))
	again := start(t, "again", ws.config, ws.base, ws.env(db, "again"))
	postEvents(t, again.base, event("t-k2", "checkout.started", "k-T-000", map[string]any{"checkout_id": "TK-2"}))
	for _, c := range []struct{ checkout, version string }{{"TK-1", "v1"}, {"TK-2", "v2"}} {
		got := sk.await(t, "nudge for "+c.checkout, 1, func(d delivery) bool {
			return d.Body.Flow == "nudge" && strings.Contains(d.text(), "Checkout "+c.checkout+":")
		})
		if txt := got[0].text(); !strings.Contains(txt, "nudge "+c.version) {
			t.Errorf("after the restart, the nudge of %s reads %q; want %s's content (a journey keeps the version it entered with)", c.checkout, txt, c.version)
		}
	}
	awaitQuiet(t, db)
	perKey := map[string]int{}
	for _, d := range sk.all() {
		perKey[d.Key]++
	}
	for _, m := range db.messages(t, "") {
		if m.Status != "sent" || perKey[m.Key] != 1 {
			t.Errorf("message %s is %s and reached the sink %d times; want sent, once", m.ID, m.Status, perKey[m.Key])
		}
	}
}

// TestTwoProcesses runs two engines on one database: they share the work and send every message
// once.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	// Slow enough that one dispatcher cannot empty the outbox before the other polls.
	sk.setDelay(20 * time.Millisecond)
	wsA, wsB := newWorkspace(t, sk.URL()), newWorkspace(t, sk.URL())
	start(t, "a", wsA.config, wsA.base, wsA.env(db, "a"))
	start(t, "b", wsB.config, wsB.base, wsB.env(db, "b"))

	// The customers first, half through each process, so that every order finds its customer's
	// email; then the orders, where both processes take events of the same customers and contend
	// for the same rows.
	var customers, orders [2][]map[string]any
	for i := range 25 {
		c := fmt.Sprintf("two-%02d", i)
		customers[i%2] = append(customers[i%2], event("tc-"+c, "customer.created", c, map[string]any{"first_name": "Tess", "email": c + "@example.com"}))
	}
	for i := range 200 {
		orders[i%2] = append(orders[i%2], event(fmt.Sprintf("to-%03d", i), "order.placed", fmt.Sprintf("two-%02d", i%25), order(fmt.Sprintf("TWO-%03d", i))))
	}
	postEvents(t, wsA.base, customers[0]...)
	postEvents(t, wsB.base, customers[1]...)
	var wg sync.WaitGroup
	for i, base := range []string{wsA.base, wsB.base} {
		for chunk := range slices.Chunk(orders[i], 10) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, b := eventsRequest(t, ingestToken, chunk...)
				if a, err := tryPost(base+"/v1/events", h, b); err != nil || a.status != http.StatusAccepted {
					t.Errorf("POST /v1/events to %s: %v %v", base, a, err)
				}
			}()
		}
	}
	wg.Wait()
	awaitQuiet(t, db)

	ms := db.messages(t, "")
	if len(ms) != 225 {
		t.Errorf("%d messages written; want 225 (200 thank-yous, 25 welcomes)", len(ms))
	}
	deliveries := sk.all()
	checkDeliveries(t, deliveries)
	perKey := map[string]int{}
	perProcess := map[string]int{}
	for _, d := range deliveries {
		perKey[d.Key]++
		perProcess[d.Process]++
	}
	for _, m := range ms {
		if m.Status != "sent" || perKey[m.Key] != 1 {
			t.Errorf("message %s is %s and reached the sink %d times; want sent, once", m.ID, m.Status, perKey[m.Key])
		}
	}
	if perProcess["a"] == 0 || perProcess["b"] == 0 || perProcess["a"]+perProcess["b"] != len(deliveries) {
		t.Errorf("deliveries by process: %v; want both a and b to have sent some, and nothing else", perProcess)
	}
	if n := db.count(t, "SELECT count(*) FROM attempts"); n != len(ms) {
		t.Errorf("%d attempts recorded for %d messages; want one each", n, len(ms))
	}
	t.Logf("deliveries by process: %v", perProcess)
}

// TestStartupErrors checks that a process that cannot work stops at once and says why.
func TestStartupErrors(t *testing.T) {
	t.Parallel()
	sk := newSink(t, channelSecret)

	t.Run("an un-migrated database", func(t *testing.T) {
		db := newDatabase(t, false)
		ws := newWorkspace(t, sk.URL())
		code, log := runToExit(t, ws.config, ws.env(db, "x"))
		if code != 1 || !strings.Contains(log, "afterglow migrate") {
			t.Errorf("exit %d, log:\n%s\nwant exit 1 and a message that says to run afterglow migrate", code, log)
		}
	})

	t.Run("SIGHUP while connecting to the database", func(t *testing.T) {
		// A database that accepts the connection and does not answer yet, as one that is still
		// starting does: the process is inside its start-up when the signal comes.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ws := newWorkspace(t, sk.URL())
		env := ws.env(&database{url: "postgres://postgres@" + l.Addr().String() + "/afterglow?sslmode=disable"}, "x")
		p := launch(t, "starting", ws.config, ws.base, env)
		_ = l.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
		conn, err := l.Accept()
		if err != nil {
			t.Fatalf("afterglow run never connected to the database: %v", err)
		}
		p.signal(syscall.SIGHUP) // a config-management tool asking for a reload
		conn.Close()
		if code := p.wait(30 * time.Second); code != 1 {
			t.Errorf("afterglow run exited with %d (%v) after a SIGHUP during its start-up; want the start-up's own outcome, 1 for a database that hung up", code, p.state)
		}
	})

	t.Run("a port in use", func(t *testing.T) {
		db := newDatabase(t, true)
		ws := newWorkspace(t, sk.URL())
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ws.port))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		code, log := runToExit(t, ws.config, ws.env(db, "x"))
		if code != 1 || !strings.Contains(log, fmt.Sprintf("listen on 127.0.0.1:%d", ws.port)) {
			t.Errorf("exit %d, log:\n%s\nwant exit 1 and the address it could not listen on", code, log)
		}
	})

	t.Run("migrations run at once by several processes", func(t *testing.T) {
		// Every replica of a deployment may run `afterglow migrate` as it starts.
		db := newDatabase(t, false)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if out, err := exec.Command(binary, "migrate", "--db", db.url).CombinedOutput(); err != nil {
					t.Errorf("afterglow migrate %d of 3 at once: %v\n%s", i+1, err, out)
				}
			}()
		}
		wg.Wait()
		ws := newWorkspace(t, sk.URL())
		p := start(t, "migrated", ws.config, ws.base, ws.env(db, "x"))
		p.signal(syscall.SIGTERM)
		if code := p.wait(30 * time.Second); code != 0 {
			t.Errorf("afterglow run on the database migrated three times at once exited %d", code)
		}
	})

	t.Run("marketing email with no secret to sign its unsubscribe links", func(t *testing.T) {
		db := newDatabase(t, true)
		ws := newWorkspace(t, sk.URL())
		// An empty default lets validate pass; the secret is still missing when the engine starts.
		ws.write(t, "afterglow.yaml", strings.Replace(fmt.Sprintf(settingsTemplate, ws.port, sk.URL(), "10s"),
			"secret: ${AFTERGLOW_SECRET}", "secret: ${AFTERGLOW_SECRET:-}", 1))
		env := ws.env(db, "x")
		delete(env, "AFTERGLOW_SECRET")
		code, log := runToExit(t, ws.config, env)
		if code != 1 || !strings.Contains(log, "no `secret`") || !strings.Contains(log, "flow tips") {
			t.Errorf("exit %d, log:\n%s\nwant exit 1 naming the missing secret and the marketing flow", code, log)
		}
	})

	t.Run("a variable that is not set", func(t *testing.T) {
		db := newDatabase(t, true)
		ws := newWorkspace(t, sk.URL())
		env := ws.env(db, "x")
		delete(env, "SHOPIFY_PREVIOUS_SECRET")
		code, log := runToExit(t, ws.config, env)
		if code != 1 || !strings.Contains(log, "SHOPIFY_PREVIOUS_SECRET") {
			t.Errorf("exit %d, log:\n%s\nwant exit 1 and the name of the variable", code, log)
		}
		// migrate needs only the database's variable, and says when it has nothing to do.
		cmd := exec.Command(binary, "migrate", "--config", ws.config)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("afterglow migrate --config without DATABASE_URL succeeded: %s", out)
		} else if !strings.Contains(string(out), "DATABASE_URL") {
			t.Errorf("afterglow migrate --config without DATABASE_URL says %q; want the variable named", out)
		}
		cmd = exec.Command(binary, "migrate", "--config", ws.config)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATABASE_URL=" + db.url}
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
			t.Errorf("afterglow migrate on a migrated database: %v %s; want exit 0 and \"up to date\"", err, out)
		}
	})
}

// TestSlowEndpoint has one process lease a batch of messages to an endpoint so slow that the
// batch takes longer than the lease, while a second process waits for due work: no message may
// be sent by both.
func TestSlowEndpoint(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	// A lease of 4s bounds each send to 2s; the endpoint takes 1.2s, so the 16 messages one
	// dispatcher leases at once (4 at a time) take 4.8s.
	wsA, wsB := newWorkspaceLease(t, sk.URL(), "4s"), newWorkspaceLease(t, sk.URL(), "4s")
	a := start(t, "a", wsA.config, wsA.base, wsA.env(db, "a"))

	var evs []map[string]any
	for i := range 16 {
		c := fmt.Sprintf("slow-%02d", i)
		// customer.updated, not created: no welcome, only the 16 thank-yous.
		evs = append(evs, event("sc-"+c, "customer.updated", c, map[string]any{"first_name": "Sol", "email": c + "@example.com"}))
	}
	postEvents(t, a.base, evs...)
	sk.setDelay(1200 * time.Millisecond)
	evs = nil
	for i := range 16 {
		evs = append(evs, event(fmt.Sprintf("so-%02d", i), "order.placed", fmt.Sprintf("slow-%02d", i), order(fmt.Sprintf("SLOW-%02d", i))))
	}
	postEvents(t, a.base, evs...)
	// Once the first sends arrive, process a has leased the batch; b starts and polls.
	sk.await(t, "first sends", 1, func(delivery) bool { return true })
	start(t, "b", wsB.config, wsB.base, wsB.env(db, "b"))
	awaitQuiet(t, db)

	ms := db.messages(t, "")
	perKey := map[string][]string{}
	for _, d := range sk.all() {
		perKey[d.Key] = append(perKey[d.Key], d.Process)
	}
	for _, m := range ms {
		if m.Status != "sent" || len(perKey[m.Key]) != 1 {
			t.Errorf("message %s is %s and reached the sink from processes %v; want sent, once", m.ID, m.Status, perKey[m.Key])
		}
	}
	if len(ms) != 16 {
		t.Errorf("%d messages; want 16", len(ms))
	}
}

// TestTimezoneFromEnvironment names the shop's time zone with a ${VAR}, as any text setting may,
// and checks that the engine keeps quiet hours in that zone.
func TestTimezoneFromEnvironment(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	ws := newWorkspace(t, sk.URL())
	settings, err := os.ReadFile(ws.config)
	if err != nil {
		t.Fatal(err)
	}
	ws.write(t, "afterglow.yaml", strings.Replace(string(settings), "timezone: UTC", "timezone: ${SHOP_TIMEZONE}", 1))
	// Twelve hours ahead of UTC: quiet hours around the shop's present are far from UTC's.
	loc, err := time.LoadLocation("Etc/GMT-12")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Now().In(loc).Hour()
	from, to := (local+23)%24, (local+2)%24
	ws.write(t, "flows/quiet.yaml", fmt.Sprintf(`flow: quiet
trigger: {event: review.submitted}
policies:
  quiet_hours: {from: "%02d:00", to: "%02d:00", channels: [email]}
steps:
  - id: ask
    send:
      channel: email
      category: marketing
      content:
        default_locale: en
        locales:
          en: {subject: "Thanks for the review", text: "Thanks, {{ customer.first_name }}."}
`, from, to))
	env := ws.env(db, "main")
	env["SHOP_TIMEZONE"] = "Etc/GMT-12"
	p := start(t, "main", ws.config, ws.base, env)

	postEvents(t, p.base,
		event("q-1", "customer.created", "c-quiet", map[string]any{"first_name": "Quin", "email": "quin@example.com", "consent": map[string]any{"email": true}}),
		event("q-2", "review.submitted", "c-quiet", map[string]any{"score": 5}))
	ms := db.messages(t, "flow_id = 'quiet'")
	if len(ms) != 1 {
		t.Fatalf("%d messages of the quiet flow; want 1", len(ms))
	}
	var sendAt time.Time
	if err := db.pool.QueryRow(context.Background(), "SELECT send_at FROM messages WHERE id = $1", ms[0].ID).Scan(&sendAt); err != nil {
		t.Fatal(err)
	}
	if ms[0].Status != "pending" || !strings.Contains(ms[0].Reason, "quiet_hours") || sendAt.Before(time.Now().Add(30*time.Minute)) {
		t.Errorf("the message written during the shop's quiet hours (%02d:00 to %02d:00 in %s) is %s (%s), leaving at %s; want it held until %02d:00 there",
			from, to, loc, ms[0].Status, ms[0].Reason, sendAt.In(loc).Format(time.RFC3339), to)
	}
}

// TestConfigMapWorkspace runs a workspace mounted from a Kubernetes ConfigMap, whose updates
// swap a symbolic link, and checks that an update is reloaded.
func TestConfigMapWorkspace(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	// A ConfigMap is flat: every file sits in the one folder.
	settings := strings.Replace(fmt.Sprintf(settingsTemplate, port, sk.URL(), "10s"), "flows: [flows]\ntemplates: [templates]", "flows: [.]\ntemplates: [.]", 1)
	files := map[string]string{
		"afterglow.yaml": settings,
		"thanks.yaml":    flowFiles["flows/thanks.yaml"],
		"template.yaml":  flowFiles["templates/thanks.yaml"],
	}
	cm := &configMap{dir: t.TempDir()}
	cm.project(t, files)
	ws := &workspace{dir: cm.dir, config: filepath.Join(cm.dir, "afterglow.yaml"), port: port, base: base}
	p := start(t, "main", ws.config, base, ws.env(db, "main"))

	postEvents(t, p.base,
		event("cm-1", "customer.created", "c-cm", map[string]any{"first_name": "Cora", "email": "cora@example.com"}),
		event("cm-2", "order.placed", "c-cm", order("CM-1")))
	got := sk.await(t, "thank-you before the update", 1, func(d delivery) bool { return strings.Contains(d.text(), "CM-1") })
	if txt := got[0].text(); !strings.Contains(txt, "Thank you, Cora!") {
		t.Fatalf("the thank-you reads %q", txt)
	}

	before := scrape(t, p.base).get("afterglow_reloads_total", "result", "success")
	files["template.yaml"] = strings.ReplaceAll(files["template.yaml"], "Thank you,", "Many thanks,")
	cm.project(t, files)
	awaitReload(t, p.base, "success", before)
	postEvents(t, p.base, event("cm-3", "order.placed", "c-cm", order("CM-2")))
	got = sk.await(t, "thank-you after the update", 1, func(d delivery) bool { return strings.Contains(d.text(), "CM-2") })
	if txt := got[0].text(); !strings.Contains(txt, "Many thanks, Cora!") {
		t.Errorf("the thank-you after the ConfigMap update reads %q; want the updated template", txt)
	}
}
