package schemas

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

func eventDoc(t *testing.T, typ string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(EventSchema(typ), &doc); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return doc
}

func TestEventSchemasAreComplete(t *testing.T) {
	types := EventTypes()
	if len(types) < 11 {
		t.Fatalf("only %d event schemas: %v", len(types), types)
	}
	if EventSchema("no.such") != nil {
		t.Error("EventSchema of an unknown type is not nil")
	}
	seen := map[string]any{}
	for _, typ := range types {
		doc := eventDoc(t, typ)
		if doc["$id"] != EventID(typ) || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["title"] != typ {
			t.Errorf("%s: $id %v, $schema %v, title %v", typ, doc["$id"], doc["$schema"], doc["title"])
		}
		if s, _ := doc["description"].(string); s == "" {
			t.Errorf("%s: no description", typ)
		}
		if l, _ := doc["x-sent-by"].([]any); len(l) == 0 {
			t.Errorf("%s: no x-sent-by: who sends it?", typ)
		}
		if doc["type"] != "object" || doc["additionalProperties"] != nil {
			t.Errorf("%s: data must be an open object (shops add their own fields)", typ)
		}
		defs, _ := doc["$defs"].(map[string]any)
		for k, d := range defs {
			if first, ok := seen[k]; ok && !reflect.DeepEqual(first, d) {
				t.Errorf("%s: $defs/%s differs from the other event schemas'", typ, k)
			}
			seen[k] = d
		}
		// Every field, nested ones included, says what it is and shows an example.
		var walk func(s map[string]any, path string)
		walk = func(s map[string]any, path string) {
			props, _ := s["properties"].(map[string]any)
			for name, p := range props {
				p := p.(map[string]any)
				if d, _ := p["description"].(string); d == "" {
					t.Errorf("%s: %s.%s has no description", typ, path, name)
				}
				if ex, _ := p["examples"].([]any); len(ex) == 0 {
					t.Errorf("%s: %s.%s has no examples", typ, path, name)
				}
				walk(p, path+"."+name)
			}
		}
		walk(doc, "data")
		for k, d := range defs {
			walk(d.(map[string]any), "$defs."+k)
		}
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource(EventID(typ), strings.NewReader(string(EventSchema(typ)))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Compile(EventID(typ)); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
		// Examples fit where they are shown.
		var ex func(v any, ptr string)
		ex = func(v any, ptr string) {
			switch v := v.(type) {
			case map[string]any:
				if exs, ok := v["examples"].([]any); ok {
					s, err := c.Compile(EventID(typ) + "#" + ptr)
					if err != nil {
						t.Fatalf("%s#%s: %v", typ, ptr, err)
					}
					for _, e := range exs {
						if err := s.Validate(e); err != nil {
							t.Errorf("%s#%s: example %v does not fit: %v", typ, ptr, e, err)
						}
					}
				}
				for k, x := range v {
					if k != "examples" && k != "enum" && k != "x-sent-by" {
						ex(x, ptr+"/"+k)
					}
				}
			case []any:
				for i, x := range v {
					ex(x, fmt.Sprintf("%s/%d", ptr, i))
				}
			}
		}
		ex(doc, "")
	}
	for _, k := range []string{"id", "decimal", "currency", "item"} {
		if seen[k] == nil {
			t.Errorf("no event schema defines $defs/%s", k)
		}
	}
}
