// Package catalog is the event catalog: the JSON Schema of each event type's data. The canonical
// types are Afterglow's own (schemas/events, embedded); a workspace may declare its own types, and
// add fields to canonical ones, in its events folders. The catalog is used three times: ingest
// refuses an event whose data does not fit its type, validate types event data in expressions and
// templates (through the schemas, see Docs), and docs/events.md is generated from it.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/internal/jsonnum"
	"github.com/afterglowhq/afterglow/schemas"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Catalog maps event types to the schemas their data must fit. It never changes once built; a
// workspace reload builds another.
type Catalog struct {
	types map[string]*Type
}

// Type is one event type of a catalog.
type Type struct {
	Name string
	// Canonical says Afterglow defines the type; Extended that the workspace adds fields to it.
	Canonical, Extended bool
	// File is the workspace file that declares the type or its added fields, or "".
	File string
	// Docs are the schemas the data must fit, decoded: the canonical one first, then the
	// workspace's. Each resolves its own $refs.
	Docs     []map[string]any
	srcs     [][]byte // the schemas as written, for the order of their fields
	compiled []*jsonschema.Schema
	quick    []bool // whether quick decides for compiled[i]
}

// Description is what the type means, from its first schema.
func (t *Type) Description() string { s, _ := t.Docs[0]["description"].(string); return s }

// SentBy lists who sends the type (x-sent-by in canonical schemas).
func (t *Type) SentBy() []string {
	var out []string
	for _, d := range t.Docs {
		l, _ := d["x-sent-by"].([]any)
		for _, s := range l {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}

// Open reports whether data may carry fields the schemas do not list. Canonical types always
// may: shops add their own.
func (t *Type) Open() bool {
	for _, d := range t.Docs {
		if d["additionalProperties"] == false || d["unevaluatedProperties"] == false {
			return false
		}
	}
	return true
}

var canonical = sync.OnceValue(func() *Catalog {
	c := newCompiler()
	for _, name := range schemas.EventTypes() {
		if err := c.AddResource(schemas.EventID(name), bytes.NewReader(schemas.EventSchema(name))); err != nil {
			panic(fmt.Sprintf("catalog: embedded schema of %s: %v", name, err))
		}
	}
	cat := &Catalog{types: map[string]*Type{}}
	for _, name := range schemas.EventTypes() {
		s, err := c.Compile(schemas.EventID(name))
		if err != nil {
			panic(fmt.Sprintf("catalog: embedded schema of %s: %v", name, err)) // the tests compile every one
		}
		t := &Type{Name: name, Canonical: true}
		src := schemas.EventSchema(name)
		t.add(src, decode(src), s)
		cat.types[name] = t
	}
	return cat
})

// Canonical returns the catalog of the canonical types alone.
func Canonical() *Catalog { return canonical() }

// Lookup returns an event type, or nil when the catalog has no schema for it: its data is then
// anything the sender chose.
func (c *Catalog) Lookup(typ string) *Type {
	if c == nil {
		return nil
	}
	return c.types[typ]
}

// Types lists the types of the catalog: the canonical ones in the order event.CanonicalTypes
// gives them, then the workspace's own, sorted.
func (c *Catalog) Types() []string {
	out := make([]string, 0, len(c.types))
	for _, n := range event.CanonicalTypes {
		if c.types[n] != nil {
			out = append(out, n)
		}
	}
	var own []string
	for n, t := range c.types {
		if !t.Canonical {
			own = append(own, n)
		}
	}
	sort.Strings(own)
	return append(out, own...)
}

// Check reports every problem of one event: its envelope (event.Validate), and its data against
// its type.
func (c *Catalog) Check(e *event.Event) []event.Problem {
	return append(e.Validate(), c.CheckData(e)...)
}

// CheckData reports how an event's data does not fit its type; nothing for a type the catalog
// has no schema of.
func (c *Catalog) CheckData(e *event.Event) []event.Problem {
	if t := c.Lookup(e.Type); t != nil {
		return t.CheckData(e.Data)
	}
	return nil
}

// CheckBatch checks every event (Check) and returns *event.Refused with all their problems, each
// naming its event by its position in the batch, or nil.
func (c *Catalog) CheckBatch(evs []event.Event) error {
	var all []event.Indexed
	for i := range evs {
		for _, p := range c.Check(&evs[i]) {
			all = append(all, event.Indexed{Index: i, Problem: p})
		}
	}
	if len(all) == 0 {
		return nil
	}
	return &event.Refused{Problems: all}
}

// CheckData reports every way data does not fit the type; fields are named from "data".
func (t *Type) CheckData(data map[string]any) []event.Problem {
	var v any = data
	if data == nil {
		v = map[string]any{} // no data is an empty object: fine unless fields are required
	}
	var out []event.Problem
	for i, s := range t.compiled {
		if t.quick[i] && quick(s, v) {
			continue
		}
		if err := s.Validate(v); err != nil {
			out = append(out, explain(t, t.Docs[i], v, err)...)
		}
	}
	return out
}

func (t *Type) add(src []byte, doc map[string]any, s *jsonschema.Schema) {
	t.srcs = append(t.srcs, src)
	t.Docs = append(t.Docs, doc)
	t.compiled = append(t.compiled, s)
	t.quick = append(t.quick, quickable(s, map[*jsonschema.Schema]bool{}))
}

func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.Formats["decimal"] = isDecimal
	return c
}

// isDecimal accepts what money may be: a JSON number or a decimal string. A Go float64 never
// comes from JSON decoded with UseNumber; where it does appear it was made from a string, and
// refusing it keeps cents from being lost.
func isDecimal(v any) bool {
	switch x := v.(type) {
	case string:
		return isDecimalText(x)
	case json.Number:
		return jsonnum.Valid(string(x))
	case float64, float32:
		return false
	}
	return event.IsDecimal(v)
}

func decode(b []byte) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}
