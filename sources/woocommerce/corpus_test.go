package woocommerce

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/event/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the handler's output (review the diff)")

var corpus = []struct{ name, topic, file string }{
	{"order.created", "order.created", "order.created.json"},
	{"order.updated", "order.updated", "order.updated.json"},
	{"customer.created", "customer.created", "customer.created.json"},
}

// TestCorpus sends every payload, signed, through the handler and compares the events submitted
// with the reviewed ones in testdata/golden.
func TestCorpus(t *testing.T) {
	for _, c := range corpus {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			send(t, newHandler(t, rec, nil), c.topic, payload(t, c.file))
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

// TestOrderKeyFields spells out what matters most, independently of the golden files.
func TestOrderKeyFields(t *testing.T) {
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "order.created", payload(t, "order.created.json"))
	created := rec.last(t)
	if types(created) != "customer.updated order.placed" {
		t.Fatalf("got %s", types(created))
	}
	op := created[1]
	// date_created_gmt is UTC; date_created (16:28 site time) must not be read.
	if op.Subject != "john.doe@example.com" || op.ID != testPrefix+"order/727/placed" || op.Source != "woocommerce/example.com" ||
		!op.Time.Equal(time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC)) {
		t.Errorf("envelope: %s %s %s %s", op.Subject, op.ID, op.Source, op.Time)
	}
	if op.Data["total"] != json.Number("29.35") || op.Data["currency"] != "USD" || op.Data["order_id"] != "727" {
		t.Errorf("data: %v", op.Data)
	}
	items := op.Data["items"].([]any)
	a, b := items[0].(map[string]any), items[1].(map[string]any)
	if a["price"] != json.Number("3") || a["quantity"] != json.Number("2") || a["product_id"] != "93" || a["sku"] != nil || a["variant_id"] != nil {
		t.Errorf("first item (empty sku, variation 0): %v", a)
	}
	if b["price"] != json.Number("12") || b["sku"] != "Bar3" || b["variant_id"] != "23" {
		t.Errorf("second item: %v", b)
	}
	if cu := created[0]; cu.Data["email"] != "john.doe@example.com" || cu.Data["phone"] != "(555) 555-5555" || cu.Data["first_name"] != "John" {
		t.Errorf("buyer: %v", cu.Data)
	}

	send(t, h, "order.updated", payload(t, "order.updated.json"))
	updated := rec.last(t)
	if types(updated) != "order.placed order.fulfilled" {
		t.Fatalf("completed: got %s", types(updated))
	}
	// The order.placed that order.updated repeats is the very same event, so the sink drops it.
	first, _ := json.Marshal(op)
	again, _ := json.Marshal(updated[0])
	if !bytes.Equal(first, again) {
		t.Errorf("order.placed differs between order.created and order.updated:\n%s\n%s", first, again)
	}
	if f := updated[1]; f.ID != testPrefix+"order/727/fulfilled" || !f.Time.Equal(time.Date(2017, 3, 22, 19, 30, 35, 0, time.UTC)) {
		t.Errorf("fulfilled: %s %s", f.ID, f.Time)
	}
}

func TestStatuses(t *testing.T) {
	refunds := []any{
		map[string]any{"id": json.Number("726"), "reason": "", "total": "-10.00"},
		map[string]any{"id": json.Number("731"), "reason": "Damaged", "total": "-19.35"},
	}
	cases := []struct {
		name, topic string
		body        func(t *testing.T) []byte
		want        string
	}{
		{"created pending", "order.created", func(t *testing.T) []byte { return withStatus(t, "order.created.json", "pending") }, "customer.updated"},
		{"created failed", "order.created", func(t *testing.T) []byte { return withStatus(t, "order.created.json", "failed") }, "customer.updated"},
		{"created on-hold", "order.created", func(t *testing.T) []byte { return withStatus(t, "order.created.json", "on-hold") }, "customer.updated order.placed"},
		{"created completed", "order.created", func(t *testing.T) []byte { return withStatus(t, "order.created.json", "completed") }, "customer.updated order.placed order.fulfilled"},
		{"updated processing", "order.updated", func(t *testing.T) []byte { return withStatus(t, "order.updated.json", "processing") }, "order.placed"},
		{"updated on-hold", "order.updated", func(t *testing.T) []byte { return withStatus(t, "order.updated.json", "on-hold") }, "order.placed"},
		{"updated cancelled", "order.updated", func(t *testing.T) []byte { return withStatus(t, "order.updated.json", "cancelled") }, "order.cancelled"},
		{"updated refunded", "order.updated", func(t *testing.T) []byte {
			return edit(t, payload(t, "order.updated.json"), func(m map[string]any) { m["status"] = "refunded"; m["refunds"] = refunds })
		}, "order.refunded order.refunded"},
		{"partial refund while processing", "order.updated", func(t *testing.T) []byte {
			return edit(t, payload(t, "order.updated.json"), func(m map[string]any) { m["status"] = "processing"; m["refunds"] = refunds[:1] })
		}, "order.placed order.refunded"},
		{"refunded without refunds listed", "order.updated", func(t *testing.T) []byte { return withStatus(t, "order.updated.json", "refunded") }, "order.refunded"},
	}
	for _, c := range cases {
		rec := &recorder{}
		send(t, newHandler(t, rec, nil), c.topic, c.body(t))
		evs := rec.last(t)
		if got := types(evs); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
		for _, e := range evs {
			if ps := e.Validate(); len(ps) > 0 {
				t.Errorf("%s: %s does not validate: %v", c.name, e.ID, ps)
			}
		}
	}

	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "order.updated", edit(t, payload(t, "order.updated.json"), func(m map[string]any) { m["status"] = "refunded"; m["refunds"] = refunds }))
	evs := rec.last(t)
	if evs[0].ID != testPrefix+"refund/726" || evs[0].Data["amount"] != json.Number("10.00") ||
		evs[1].ID != testPrefix+"refund/731" || evs[1].Data["amount"] != json.Number("19.35") || evs[1].Data["reason"] != "Damaged" {
		t.Errorf("refunds: %+v", evs)
	}
	send(t, h, "order.updated", withStatus(t, "order.updated.json", "refunded"))
	if e := rec.last(t)[0]; e.ID != testPrefix+"order/727/refunded" || e.Data["amount"] != json.Number("29.35") {
		t.Errorf("whole refund: %+v", e)
	}
	send(t, h, "order.updated", withStatus(t, "order.updated.json", "cancelled"))
	if e := rec.last(t)[0]; e.ID != testPrefix+"order/727/cancelled" || e.Type != event.OrderCancelled {
		t.Errorf("cancelled: %+v", e)
	}

	before := rec.count()
	for _, s := range []string{"pending", "failed", "checkout-draft"} {
		send(t, h, "order.updated", withStatus(t, "order.updated.json", s))
	}
	send(t, h, "order.created", withStatus(t, "order.created.json", "checkout-draft"))
	if rec.count() != before {
		t.Errorf("unpaid orders and drafts must store nothing: %v", rec.last(t))
	}
}

func TestRegisteredCustomerOrder(t *testing.T) {
	rec := &recorder{}
	body := edit(t, payload(t, "order.created.json"), func(m map[string]any) { m["customer_id"] = json.Number("25") })
	send(t, newHandler(t, rec, nil), "order.created", body)
	for _, e := range rec.last(t) {
		if e.Subject != "25" {
			t.Errorf("%s: subject %q, want the WooCommerce customer id", e.ID, e.Subject)
		}
	}
}

func TestCustomerCreated(t *testing.T) {
	rec := &recorder{}
	send(t, newHandler(t, rec, nil), "customer.created", payload(t, "customer.created.json"))
	e := rec.last(t)[0]
	if e.Type != event.CustomerCreated || e.Subject != "25" || e.ID != testPrefix+"customer/25/created" ||
		!e.Time.Equal(time.Date(2017, 3, 21, 19, 9, 28, 0, time.UTC)) || e.Data["created_at"] != "2017-03-21T19:09:28Z" {
		t.Errorf("got %+v", e)
	}
}
