package exprs

import (
	"encoding/json"
	"strings"
	"testing"
)

// orderSchema is a small order.placed: ids, a decimal and items, with shared definitions.
const orderSchema = `{
  "type": "object",
  "required": ["order_id", "total"],
  "properties": {
    "order_id": {"$ref": "#/$defs/id"},
    "total": {"$ref": "#/$defs/decimal"},
    "currency": {"type": "string"},
    "items": {"type": "array", "items": {"$ref": "#/$defs/item"}}
  },
  "$defs": {
    "id": {"type": ["string", "integer"]},
    "decimal": {"type": ["number", "string"], "format": "decimal"},
    "item": {"type": "object", "properties": {"sku": {"type": "string"}, "price": {"$ref": "#/$defs/decimal"}, "quantity": {"type": "integer"}}}
  }
}`

func orderEvent(t *testing.T) *Type {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(orderSchema), &doc); err != nil {
		t.Fatal(err)
	}
	return EventOf(DataType([]map[string]any{doc}, &Loose{Of: "order.placed", TypoError: true, Undeclared: "declare it to check it"}))
}

func TestDataTypeFromSchema(t *testing.T) {
	ev := orderEvent(t)
	data := ev.Fields["data"]
	if !data.Open || data.Loose == nil {
		t.Fatalf("data must be open, with its declared fields: %+v", data)
	}
	for name, want := range map[string]Kind{"order_id": String, "total": Float, "currency": String, "items": List} {
		if f := data.Fields[name]; f == nil || f.Kind != want {
			t.Errorf("data.%s: %+v, want %s", name, f, want)
		}
	}
	if !data.Fields["total"].Decimal {
		t.Error("total is not marked as a decimal")
	}
	item := data.Fields["items"].Elem
	if item == nil || item.Kind != Map || item.Fields["price"].Kind != Float || item.Fields["quantity"].Kind != Int {
		t.Errorf("items[]: %+v", item)
	}
}

func TestEventDataChecks(t *testing.T) {
	ev := orderEvent(t)
	scope := NewScope(map[string]*Type{"event": ev, "trigger": ev, "customer": CustomerType(nil), "now": TimeT}, nil)
	cases := []struct {
		src     string
		ok      bool   // compiles
		warning bool   // with a warning
		offset  int    // of the first problem
		msg     string // in the first problem
	}{
		{`event.data.total > 50 && trigger.data.order_id == event.data.order_id`, true, false, 0, ""},
		{`event.data.total > "50"`, false, false, 17, `event.data.total is a decimal amount, a number here even when sent as text: compare it with 50, not "50"`},
		{`event.data.total == "lots"`, false, false, 17, "compare it with a number"},
		{`event.data.totl > 50`, false, false, 11, `event.data (order.placed) has no field "totl" (did you mean "total"?)`},
		{`event.data.items[0].pric > 1`, false, false, 20, `event.data.items[] (order.placed) has no field "pric" (did you mean "price"?)`},
		{`event.data.items[0].price > 1 && len(event.data.items) > 0`, true, false, 0, ""},
		{`event.data.order_id == 1001`, false, false, 20, "== cannot be used between text and an integer"},
		{`event.data.gift_wrap == true`, true, true, 11, `event.data (order.placed) declares no field "gift_wrap": it is read as sent, unchecked; declare it to check it`},
		{`customer.frist_name == "Ana"`, true, true, 9, `customer has no field "frist_name" (did you mean "first_name"?)`},
		{`customer.shoe_size > 40`, true, false, 0, ""},
	}
	for _, c := range cases {
		p, ps := Compile(c.src, scope, Bool)
		if (p != nil) != c.ok {
			t.Errorf("%s: compiled %v, want %v; problems %+v", c.src, p != nil, c.ok, ps)
			continue
		}
		if c.msg == "" {
			if len(ps) > 0 {
				t.Errorf("%s: unexpected problems %+v", c.src, ps)
			}
			continue
		}
		if len(ps) == 0 {
			t.Errorf("%s: no problem, want %q", c.src, c.msg)
			continue
		}
		if ps[0].Warning != c.warning || ps[0].Offset != c.offset || !strings.Contains(ps[0].Message, c.msg) {
			t.Errorf("%s: %+v, want warning=%v at %d saying %q", c.src, ps[0], c.warning, c.offset, c.msg)
		}
	}
}

// At run time money sent as text compares as the number it is, once converted by the data's type.
func TestDecimalTextComparesAsANumber(t *testing.T) {
	ev := orderEvent(t)
	scope := NewScope(map[string]*Type{"event": ev, "now": TimeT}, nil)
	p, ps := Compile(`event.data.total > 50 && event.data.order_id == "1001"`, scope, Bool)
	if p == nil {
		t.Fatal(ps)
	}
	data := map[string]any{"order_id": json.Number("1001"), "total": "59.90"}
	ok, err := p.Bool(Vars{"event": map[string]any{"data": Convert(data, ev.Fields["data"])}})
	if err != nil || !ok {
		t.Errorf("59.90 sent as text, 1001 as a number: %v, %v; want true", ok, err)
	}
}
