package enginetest

import (
	"testing"

	"github.com/afterglowhq/afterglow/event"
)

const catalogYAML = `products:
  - {id: serum-v1, name: Sérum, url: "https://t.example/serum", replenish_after: 30d, related: [spf]}
  - {id: spf, sku: SPF-50, name: Protector, replenish_after: 8w}
`

// Order items carry their product from the catalog when the order is stored; expressions read
// products with product(), and a reminder waits for each product's own cycle.
func testCatalogProducts(t *testing.T, ns NewStore) {
	ws := Workspace(t, "catalog: products.yaml\n", map[string]string{"products.yaml": catalogYAML, "flows/restock.yaml": `
flow: restock
trigger: {event: order.placed}
entry: {key: 'event.data.order_id + "/" + event.data.items[0].product_id'}
steps:
  - id: cycle
    wait_until: {time: 'trigger.time + product(trigger.data.items[0].product_id).replenish_after', offset: -3d}
  - id: remind
    if: 'has(trigger.data.items[0].product) && trigger.data.items[0].product.replenish_days == product(trigger.data.items[0].product_id).replenish_days'
    then:
      - id: mail
        send:
          channel: email
          category: transactional
          content: {default_locale: en, locales: {en: {subject: "{{ trigger.data.items[0].product.name }}", text: "{% assign p = trigger.data.items[0].product_id | product %}{{ p.url }} {{ p.replenish_days }} {{ trigger.data.items[0].product.replenish_after }}"}}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Customer("bob", map[string]any{"email": "b@example.com"})
	item := func(id string) map[string]any {
		return map[string]any{"product_id": id, "sku": "X", "quantity": jsonNum("1"), "price": jsonNum("10")}
	}
	evs := []event.Event{
		Ev(0, "order.placed", "ana", withItems(order("1", "10"), item("serum-v1"))),
		Ev(0, "order.placed", "ana", withItems(order("2", "10"), item("spf"))),
		Ev(0, "order.placed", "ana", withItems(order("3", "10"), item("unknown"))),
		// An exported order's line names no product, only its sku: it is matched by it.
		Ev(0, "order.placed", "bob", withItems(order("4", "10"), map[string]any{"sku": "SPF-50", "quantity": jsonNum("1"), "price": jsonNum("10")})),
	}
	r.Play(70*day, evs...)
	Equal(t, "sent", r.Sent(), []string{"27d ana restock/mail", "53d ana restock/mail", "53d bob restock/mail"})
	ms := r.Messages()
	if len(ms) == 2 && (ms[0].Content.Subject != "Sérum" || ms[0].Content.Text != "https://t.example/serum 30 30d" || ms[1].Content.Subject != "Protector") {
		t.Errorf("contents: %q %q, %q", ms[0].Content.Subject, ms[0].Content.Text, ms[1].Content.Subject)
	}
	// The stored order keeps the product as it was when it was placed.
	stored := func(i int) map[string]any {
		ev, err := r.Store.Event(r.Ctx, evs[i].Subject, evs[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Data["items"].([]any)[0].(map[string]any)
	}
	p, _ := stored(0)["product"].(map[string]any)
	if p["name"] != "Sérum" || p["replenish_after"] != "30d" {
		t.Errorf("stored item product: %v", p)
	}
	if _, has := stored(2)["product"]; has {
		t.Error("an item of a product not in the catalog got one")
	}
	if got := stored(3)["product_id"]; got != "spf" {
		t.Errorf("an item matched by its sku has product_id %v, want spf", got)
	}
}

func withItems(data map[string]any, items ...map[string]any) map[string]any {
	list := make([]any, len(items))
	for i, it := range items {
		list[i] = it
	}
	data["items"] = list
	return data
}
