package catalog

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/event"
)

func TestWorkspaceTypes(t *testing.T) {
	c, ms := Build([]Declaration{
		{Type: "quiz.completed", File: "events/quiz.completed.schema.json", Source: []byte(`{
  "type": "object", "required": ["skin_type"], "additionalProperties": false,
  "properties": {"skin_type": {"type": "string", "enum": ["dry", "oily"]}, "concerns": {"type": "array", "items": {"type": "string"}}}}`)},
		{Type: "order.placed", File: "events/order.placed.schema.json", Source: []byte(`{
  "description": "Our checkout adds the gift wrap.",
  "properties": {"gift_wrap": {"type": "boolean", "description": "Wrapped as a gift."}}}`)},
	})
	if len(ms) > 0 {
		t.Fatalf("mistakes: %+v", ms)
	}
	q := c.Lookup("quiz.completed")
	if q == nil || q.Canonical || q.Open() {
		t.Fatalf("quiz.completed: %+v", q)
	}
	o := c.Lookup("order.placed")
	if !o.Canonical || !o.Extended || !o.Open() || len(o.Docs) != 2 {
		t.Fatalf("order.placed: %+v", o)
	}
	if Canonical().Lookup("order.placed").Extended {
		t.Fatal("Build changed the canonical catalog")
	}
	cases := []struct {
		typ, data string
		want      []string
	}{
		{"quiz.completed", `{"skin_type": "dry", "concerns": ["pores"]}`, nil},
		{"quiz.completed", `{"skin_type": "wet", "concern": ["pores"]}`, []string{
			`data.concern: is not a field of quiz.completed (did you mean "concerns"?)`, `data.skin_type: must be one of dry, oily, got "wet"`}},
		{"order.placed", `{"order_id": "1", "total": 5, "currency": "PEN", "gift_wrap": true}`, nil},
		{"order.placed", `{"order_id": "1", "currency": "PEN", "gift_wrap": "yes"}`, []string{
			"data.total: is required for order.placed", `data.gift_wrap: must be true or false, got "yes"`}},
	}
	for _, tc := range cases {
		e := ev(t, tc.typ, tc.data)
		var got []string
		for _, p := range c.Check(&e) {
			got = append(got, p.Error())
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s %s: got %q, want %d problems", tc.typ, tc.data, got, len(tc.want))
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], tc.want[i]) {
				t.Errorf("%s %s: got %q, want %q", tc.typ, tc.data, got[i], tc.want[i])
			}
		}
	}
}

func TestDeclarationMistakes(t *testing.T) {
	cases := []struct {
		typ, src string
		at       string // the text the mistake points at
		msg      string
	}{
		{"order.placed", `{"properties": {"total": {"type": "string"}}}`, `"total"`, "order.placed already has the field total"},
		{"order.placed", `{"required": ["gift"], "properties": {"gift": {"type": "string"}}}`, `"required"`, "cannot be required"},
		{"order.placed", `{"additionalProperties": false}`, `"additionalProperties"`, "may only add fields"},
		{"quiz.completed", `{"type": "array"}`, `"array"`, "event data is a JSON object"},
		{"quiz.completed", `{"properties": {"skin": {"type": "text"}}}`, `"text"`, "not a valid JSON Schema"},
		{"quiz.completed", "{\n  \"properties\": {,}\n}", `,}`, "invalid JSON"},
		{"quiz.completed", `["not", "an", "object"]`, `[`, "is a JSON object"},
		{"Quiz", `{}`, `{`, "is not an event type"},
	}
	for _, c := range cases {
		cat, ms := Build([]Declaration{{Type: c.typ, File: "f.json", Source: []byte(c.src)}})
		if len(ms) != 1 || ms[0].Warning {
			t.Errorf("%s %s: mistakes %+v, want one error", c.typ, c.src, ms)
			continue
		}
		m := ms[0]
		if !strings.Contains(m.Message, c.msg) || !strings.HasPrefix(c.src[m.Offset:], c.at) {
			t.Errorf("%s %s: %q at %q; want %q at %q", c.typ, c.src, m.Message, c.src[m.Offset:], c.msg, c.at)
		}
		if got := cat.Lookup(c.typ); got != nil && !got.Canonical || got != nil && got.Extended {
			t.Errorf("%s: a declaration with a mistake is in the catalog", c.typ)
		}
	}
}

func TestDeclarationNearMissAndDuplicate(t *testing.T) {
	_, ms := Build([]Declaration{
		{Type: "order.placd", File: "a/order.placd.schema.json", Source: []byte(`{}`)},
		{Type: "quiz.completed", File: "a/quiz.completed.schema.json", Source: []byte(`{}`)},
		{Type: "quiz.completed", File: "b/quiz.completed.schema.json", Source: []byte(`{}`)},
	})
	if len(ms) != 2 || !ms[0].Warning || !strings.Contains(ms[0].Message, "did you mean order.placed") ||
		ms[1].Warning || ms[1].File != "b/quiz.completed.schema.json" || !strings.Contains(ms[1].Message, "also declared in a/quiz.completed.schema.json") {
		t.Errorf("mistakes: %+v", ms)
	}
}

// The problems of a workspace type name its event in a batch, like the canonical ones.
func TestWorkspaceTypeInBatch(t *testing.T) {
	c, _ := Build([]Declaration{{Type: "quiz.completed", File: "q", Source: []byte(`{"required": ["skin_type"]}`)}})
	err := c.CheckBatch([]event.Event{ev(t, "quiz.completed", `{"skin_type": "dry"}`), ev(t, "quiz.completed", `{}`)})
	inv, ok := err.(*event.Refused)
	if !ok || len(inv.Problems) != 1 || inv.Problems[0].Index != 1 || inv.Problems[0].Field != "data.skin_type" {
		t.Fatalf("CheckBatch = %v", err)
	}
}
