package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/event"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Declaration is a workspace's schema of one event type's data, from a file TYPE.schema.json in
// one of its events folders.
type Declaration struct {
	Type   string
	File   string // as messages name it
	Source []byte
}

// Mistake is something wrong with a declaration, at a byte offset of its source.
type Mistake struct {
	File    string
	Offset  int
	Warning bool
	Message string
}

// extensionKeys are what a workspace's file for a canonical type may hold: fields to add, and
// words about them. Anything else would change what the canonical type accepts.
var extensionKeys = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"type": true, "properties": true, "$defs": true, "examples": true}

// Build returns the catalog of the canonical types plus the declared ones. A canonical type's
// declaration may only add fields: its data must then fit both schemas. A declaration with a
// mistake is left out; the others are kept.
func Build(decls []Declaration) (*Catalog, []Mistake) {
	base := Canonical()
	c := &Catalog{types: make(map[string]*Type, len(base.types)+len(decls))}
	for n, t := range base.types {
		c.types[n] = t
	}
	var ms []Mistake
	sort.SliceStable(decls, func(i, j int) bool { return decls[i].File < decls[j].File })
	first := map[string]string{}
	for _, d := range decls {
		mistake := func(off int, format string, a ...any) {
			ms = append(ms, Mistake{File: d.File, Offset: off, Message: fmt.Sprintf(format, a...)})
		}
		if !event.TypePattern.MatchString(d.Type) {
			mistake(0, "%q is not an event type: name the file after its type, in dot-separated lowercase words, like quiz.completed.schema.json", d.Type)
			continue
		}
		if f, dup := first[d.Type]; dup {
			mistake(0, "event type %s is also declared in %s; declare each type once", d.Type, f)
			continue
		}
		first[d.Type] = d.File
		canon := base.types[d.Type]
		if canon == nil {
			if near := diag.Closest(d.Type, base.Types()); near != "" {
				ms = append(ms, Mistake{File: d.File, Warning: true, Message: fmt.Sprintf(
					"%s is declared as a type of the shop's own (did you mean %s, a canonical type? name the file %s.schema.json to add fields to it)", d.Type, near, near)})
			}
		}
		t, found := declare(d, canon)
		for _, m := range found {
			mistake(m.Offset, "%s", m.Message)
		}
		if len(found) == 0 && t != nil {
			c.types[d.Type] = t
		}
	}
	return c, ms
}

// declare compiles one declaration, as a type of its own or as fields added to canon.
func declare(d Declaration, canon *Type) (*Type, []Mistake) {
	var ms []Mistake
	at := func(off int, format string, a ...any) {
		ms = append(ms, Mistake{Offset: off, Message: fmt.Sprintf(format, a...)})
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(d.Source))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		off := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			off = max(int(se.Offset)-1, 0) // the offset is after the byte that broke the syntax
		case errors.As(err, &te):
			at(0, "the schema of an event type's data is a JSON object, like {\"type\": \"object\", \"properties\": {...}}")
			return nil, ms
		}
		at(off, "invalid JSON: %v", err)
		return nil, ms
	}
	pos := positions(d.Source)
	keyAt := func(ptr string) int { return pos[ptr].key }
	if typ, ok := doc["type"]; ok && typ != "object" {
		at(pos["/type"].value, "event data is a JSON object: write \"type\": \"object\" (or leave type out)")
	}
	if canon != nil {
		var keys []string
		for k := range doc {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch {
			case extensionKeys[k] || strings.HasPrefix(k, "x-"):
			case k == "required":
				at(keyAt("/required"), "fields added to the canonical type %s cannot be required: the platforms' webhooks do not send them, and every event of theirs would be refused", d.Type)
			default:
				at(keyAt("/"+escapePointer(k)), "a file for the canonical type %s may only add fields under properties; %s would change what the type accepts", d.Type, k)
			}
		}
		props, _ := doc["properties"].(map[string]any)
		own, _ := canon.Docs[0]["properties"].(map[string]any)
		var names []string
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if own[n] != nil {
				at(keyAt("/properties/"+escapePointer(n)), "%s already has the field %s; a workspace may add fields to a canonical type, not redefine its own (see docs/events.md)", d.Type, n)
			}
		}
	}
	if len(ms) > 0 {
		return nil, ms
	}
	url := "workspace:///events/" + d.Type + ".schema.json"
	c := newCompiler()
	if err := c.AddResource(url, bytes.NewReader(d.Source)); err != nil {
		at(0, "not a JSON Schema: %v", err)
		return nil, ms
	}
	s, err := c.Compile(url)
	if err != nil {
		var se *jsonschema.SchemaError
		var ve *jsonschema.ValidationError
		if errors.As(err, &se) && errors.As(se.Err, &ve) {
			seen := map[string]bool{}
			for _, l := range leaves(ve) {
				if seen[l.InstanceLocation] {
					continue // one mistake a place: a keyword's alternative forms each fail
				}
				seen[l.InstanceLocation] = true
				p := pos[l.InstanceLocation]
				at(max(p.key, p.value), "not a valid JSON Schema (draft 2020-12): %s: %s", strings.TrimPrefix(l.InstanceLocation, "/"), l.Message)
			}
			return nil, ms
		}
		at(0, "not a valid JSON Schema (draft 2020-12): %s", firstLine(err.Error()))
		return nil, ms
	}
	t := &Type{Name: d.Type, File: d.File}
	if canon != nil {
		t.Canonical, t.Extended = true, true
		t.add(canon.srcs[0], canon.Docs[0], canon.compiled[0])
	}
	t.add(d.Source, doc, s)
	return t, nil
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
