package shopify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/event/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the handler's output (review the diff)")

type corpusCase struct {
	name   string
	topic  string
	body   func(t *testing.T) []byte
	before []step // deliveries made first, to the same sink
	plain  bool   // the sink cannot look up orders
}

type step struct {
	topic string
	file  string
}

func file(name string) func(*testing.T) []byte {
	return func(t *testing.T) []byte { return payload(t, name) }
}

// paid is an order payload as orders/paid sends it: Shopify's sample is a voided order.
func paid(name string) func(*testing.T) []byte {
	return func(t *testing.T) []byte {
		return edit(t, payload(t, name), func(m map[string]any) { m["financial_status"] = "paid" })
	}
}

func wrapped(name, key string, i int) func(*testing.T) []byte {
	return func(t *testing.T) []byte { return unwrap(t, payload(t, name), key)[i] }
}

var corpus = []corpusCase{
	{name: "orders_create", topic: "orders/create", body: file("orders_create.json")},
	{name: "orders_paid", topic: "orders/paid", body: paid("orders_create.json")},
	{name: "orders_cancelled", topic: "orders/cancelled", body: file("orders_create.json")},
	{name: "fulfillments_create", topic: "fulfillments/create", body: file("fulfillments_create.json"),
		before: []step{{"orders/create", "orders_create.json"}}},
	{name: "fulfillments_create_unknown_order", topic: "fulfillments/create", body: file("fulfillments_create.json"), plain: true},
	{name: "customers_create", topic: "customers/create", body: file("customers_create.json")},
	{name: "customers_update", topic: "customers/update", body: file("customers_create.json")},
	{name: "legacy_order", topic: "orders/create", body: wrapped("legacy_rest_fixture_order.json", "order", 0)},
	{name: "legacy_customer", topic: "customers/create", body: wrapped("legacy_rest_fixture_customer.json", "customer", 0)},
	{name: "refunds_create", topic: "refunds/create", body: file("refunds_create.json"),
		before: []step{{"orders/create", "orders_create.json"}}},
	{name: "checkouts_create", topic: "checkouts/create", body: file("checkouts_create.json")},
	{name: "customers_email_marketing_consent_update", topic: "customers_email_marketing_consent/update",
		body: file("customers_email_marketing_consent_update.json")},
}

// TestCorpus sends every payload, signed, through the handler and compares the events submitted
// with the reviewed ones in testdata/golden.
func TestCorpus(t *testing.T) {
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			var h *Handler
			if c.plain {
				h = newHandler(t, submitOnly{rec}, nil)
			} else {
				h = newHandler(t, rec, nil)
			}
			for _, s := range c.before {
				send(t, h, s.topic, payload(t, s.file))
			}
			send(t, h, c.topic, c.body(t))
			evs := rec.last(t)
			// Every event an adapter makes fits its type in the event catalog: a misfit is a bug of
			// the adapter, which the engine would refuse (422) and the shop would lose.
			for _, e := range evs {
				if ps := catalog.Canonical().Check(&e); len(ps) > 0 {
					t.Errorf("%s does not fit the event catalog: %v", e.ID, ps)
				}
			}
			got, err := json.MarshalIndent(evs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
				t.Errorf("events differ from %s:\n got: %s", golden, got)
			}
		})
	}
}

// TestOrderKeyFields spells out what matters most in the order notices, independently of the
// golden files: exact money, ids beyond 2^53, the customer, the time and the ids.
func TestOrderKeyFields(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "orders/create", payload(t, "orders_create.json"))
	evs := rec.last(t)
	if len(evs) != 2 || evs[0].Type != event.CustomerUpdated || evs[1].Type != event.OrderPlaced {
		t.Fatalf("want customer.updated then order.placed, got %v", ids(evs))
	}
	cu, op := evs[0], evs[1]
	want := time.Date(2021, 12, 31, 19, 0, 0, 0, time.FixedZone("", -5*3600))
	for _, e := range evs {
		if e.Subject != "115310627314723954" || e.Source != "shopify/"+shop || !e.Time.Equal(want) {
			t.Errorf("%s: subject %s source %s time %s", e.ID, e.Subject, e.Source, e.Time)
		}
	}
	if op.ID != testPrefix+"order/820982911946154508/placed" || cu.ID != testPrefix+"order/820982911946154508/customer" {
		t.Errorf("ids: %s", ids(evs))
	}
	if op.Data["order_id"] != "820982911946154508" || op.Data["total"] != json.Number("404.95") || op.Data["currency"] != "USD" {
		t.Errorf("order data: %v", op.Data)
	}
	items := op.Data["items"].([]any)
	first := items[0].(map[string]any)
	if len(items) != 5 || first["sku"] != "SKU2006-001" || first["product_id"] != "788032119674292922" ||
		first["price"] != json.Number("89.99") || first["quantity"] != json.Number("1") || first["name"] != "Aviator sunglasses" {
		t.Errorf("items: %v", items)
	}
	if _, ok := items[1].(map[string]any)["product_id"]; ok {
		t.Errorf("a null product_id must be left out: %v", items[1])
	}
	// The nested customer's record wins over the order's contact email; the ticked box grants consent.
	if cu.Data["email"] != "john@example.com" || cu.Data["first_name"] != "John" || cu.Data["locale"] != "en" {
		t.Errorf("customer data: %v", cu.Data)
	}
	if c := cu.Data["consent"].(map[string]any); c["email"] != true {
		t.Errorf("consent: %v", c)
	}

	send(t, h, "orders/create", unwrap(t, payload(t, "legacy_rest_fixture_order.json"), "order")[0])
	legacy := rec.last(t)
	if legacy[1].Data["total"] != json.Number("409.94") || legacy[1].Subject != "207119551" ||
		legacy[1].Data["items"].([]any)[0].(map[string]any)["variant_id"] != "39072856" {
		t.Errorf("legacy order: %v", legacy[1])
	}
	if codes := legacy[1].Data["discount_codes"].([]any); len(codes) != 1 || codes[0] != "TENOFF" {
		t.Errorf("discount codes: %v", codes)
	}
	// The checkout it came from, as checkouts/create names checkouts: an abandoned-checkout flow
	// waits for an order.placed with its checkout.started's checkout_id.
	if legacy[1].Data["checkout_id"] != "450789469" {
		t.Errorf("checkout_id: %v", legacy[1].Data["checkout_id"])
	}
	if _, ok := op.Data["checkout_id"]; ok {
		t.Errorf("an order without a checkout (checkout_token null) has no checkout_id: %v", op.Data["checkout_id"])
	}
	// accepts_marketing false on the record and an unticked box: consent stays refused.
	if c := legacy[0].Data["consent"].(map[string]any); c["email"] != false {
		t.Errorf("legacy consent: %v", c)
	}
}

func TestRefundAmountIsExact(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "orders/create", payload(t, "orders_create.json"))

	send(t, h, "refunds/create", payload(t, "refunds_create.json"))
	r := rec.last(t)[0]
	if r.Type != event.OrderRefunded || r.ID != testPrefix+"refund/890088186047892319" || r.Subject != "115310627314723954" ||
		r.Data["amount"] != json.Number("109.98") || r.Data["order_id"] != "820982911946154508" {
		t.Fatalf("refund from transactions (the failed one left out): %+v", r)
	}

	// Without transactions the refunded lines' subtotals count: JSON numbers that a float64 sum
	// would turn into 109.97999999999999.
	noTx := edit(t, payload(t, "refunds_create.json"), func(m map[string]any) { delete(m, "transactions") })
	send(t, h, "refunds/create", noTx)
	if got := rec.last(t)[0].Data["amount"]; got != json.Number("109.98") {
		t.Fatalf("refund from line subtotals: %v", got)
	}
}

func TestFulfillmentDelivered(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "orders/create", payload(t, "orders_create.json"))
	body := bytes.Replace(payload(t, "fulfillments_create.json"), []byte(`"shipment_status": null`), []byte(`"shipment_status": "delivered"`), 1)
	send(t, h, "fulfillments/update", body)
	evs := rec.last(t)
	if len(evs) != 2 || evs[0].Type != event.OrderFulfilled || evs[1].Type != event.OrderDelivered {
		t.Fatalf("want fulfilled and delivered, got %s", ids(evs))
	}
	if evs[1].ID != testPrefix+"fulfillment/123456/delivered" || evs[1].Subject != "115310627314723954" ||
		evs[1].Data["order_id"] != "820982911946154508" || evs[1].Data["tracking_number"] != "1z827wk74630" {
		t.Errorf("delivered: %+v", evs[1])
	}
	if evs[0].ID != testPrefix+"fulfillment/123456/fulfilled" || evs[0].Data["carrier"] != "UPS" {
		t.Errorf("fulfilled: %+v", evs[0])
	}
	// What arrived, so that a flow on delivery can look at the products.
	if items, _ := evs[1].Data["items"].([]any); len(items) != 5 || evs[1].Data["carrier"] != "UPS" {
		t.Errorf("delivered: items %v, carrier %v", evs[1].Data["items"], evs[1].Data["carrier"])
	}
	for _, e := range evs {
		if ps := catalog.Canonical().Check(&e); len(ps) > 0 {
			t.Errorf("%s does not fit the event catalog: %v", e.ID, ps)
		}
	}

	failed := bytes.Replace(payload(t, "fulfillments_create.json"), []byte(`"status": "pending"`), []byte(`"status": "failure"`), 1)
	before := rec.count()
	send(t, h, "fulfillments/create", failed)
	if rec.count() != before {
		t.Error("a failed fulfillment must not make order.fulfilled")
	}
}

func TestCustomerRecord(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	body := edit(t, payload(t, "customers_create.json"), func(m map[string]any) {
		m["tags"] = "vip, newsletter ,,wholesale"
		m["email_marketing_consent"] = map[string]any{"state": "subscribed", "opt_in_level": "confirmed_opt_in"}
		m["sms_marketing_consent"] = map[string]any{"state": "not_subscribed"}
	})
	send(t, h, "customers/update", body)
	e := rec.last(t)[0]
	if e.Subject != "706405506930370084" || e.ID != testPrefix+"customer/706405506930370084/updated/"+webhookID {
		t.Errorf("subject %s id %s", e.Subject, e.ID)
	}
	tags, _ := json.Marshal(e.Data["tags"])
	consent, _ := json.Marshal(e.Data["consent"])
	if string(tags) != `["vip","newsletter","wholesale"]` || string(consent) != `{"email":true,"sms":false}` {
		t.Errorf("tags %s consent %s", tags, consent)
	}
	if e.Data["created_at"] != "2021-12-31T19:00:00-05:00" || e.Data["email"] != "bob@biller.com" || e.Data["phone"] != nil {
		t.Errorf("data: %v", e.Data)
	}
}

func TestGuestCheckout(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "checkouts/create", payload(t, "checkouts_create.json"))
	evs := rec.last(t)
	if len(evs) != 2 || evs[1].Type != event.CheckoutStarted {
		t.Fatalf("got %s", ids(evs))
	}
	for _, e := range evs {
		if e.Subject != "ana.quispe@example.com" {
			t.Errorf("a guest is known by the lowercased email, got %q", e.Subject)
		}
	}
	cs := evs[1]
	if cs.Data["checkout_id"] != "981820079255243537" || cs.Data["total"] != json.Number("189.98") ||
		!strings.HasSuffix(cs.Data["url"].(string), "/recover?key=example") {
		t.Errorf("checkout data: %v", cs.Data)
	}
	if evs[0].Data["first_name"] != "Ana" || evs[0].Data["locale"] != "es-PE" {
		t.Errorf("buyer data: %v", evs[0].Data)
	}
}

func TestConsentNotice(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "customers_email_marketing_consent/update", payload(t, "customers_email_marketing_consent_update.json"))
	e := rec.last(t)[0]
	if e.Type != event.ConsentUpdated || e.Data["channel"] != "email" || e.Data["granted"] != false ||
		e.ID != testPrefix+"customer/706405506930370084/consent/email/"+webhookID {
		t.Errorf("got %+v", e)
	}
	// Shopify's own sample of this topic has every state null: it says nothing, so nothing is stored.
	empty := []byte(`{"customer_id":706405506930370084,"email_address":null,"email_marketing_consent":{"state":null,"opt_in_level":null,"consent_updated_at":null}}`)
	before := rec.count()
	send(t, h, "customers_email_marketing_consent/update", empty)
	if rec.count() != before {
		t.Error("a consent notice without a state must store nothing")
	}
	sms := []byte(`{"id":706405506930370084,"phone":"+16135551111","sms_marketing_consent":{"state":"subscribed","opt_in_level":"single_opt_in","consent_updated_at":"2022-01-03T08:00:00-05:00","consent_collected_from":"SHOPIFY"}}`)
	send(t, h, "customers_marketing_consent/update", sms)
	if e := rec.last(t)[0]; e.Data["channel"] != "sms" || e.Data["granted"] != true {
		t.Errorf("sms consent: %+v", e)
	}
}
