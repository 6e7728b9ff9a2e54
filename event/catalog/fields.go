package catalog

import (
	"sort"
	"strings"
)

// Field is one field of an event type's data; fields of objects inside it are listed too, by
// their path: items[].price is the price of each item.
type Field struct {
	Path        string
	Type        string // in words: decimal, id, string, list of objects...
	Required    bool
	Description string
	Example     any  // the first example, or nil
	Added       bool // declared by the workspace on a canonical type
}

// Fields lists the fields of the type's data in the order its schemas write them.
func (t *Type) Fields() []Field {
	var out []Field
	for i, doc := range t.Docs {
		r := &reader{doc: doc, pos: positions(t.srcs[i])}
		out = append(out, r.fields(doc, "", "", t.Extended && i > 0, 0)...)
	}
	return out
}

type reader struct {
	doc map[string]any
	pos map[string]spot
}

// fields lists the properties of s, written at pointer ptr of the document, under prefix.
func (r *reader) fields(s map[string]any, ptr, prefix string, added bool, depth int) []Field {
	props, _ := s["properties"].(map[string]any)
	if depth > 4 || len(props) == 0 {
		return nil
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	at := func(n string) int { return r.pos[ptr+"/properties/"+escapePointer(n)].key }
	sort.Slice(names, func(i, j int) bool { return at(names[i]) < at(names[j]) })
	required := map[string]bool{}
	if l, ok := s["required"].([]any); ok {
		for _, n := range l {
			if str, ok := n.(string); ok {
				required[str] = true
			}
		}
	}
	var out []Field
	for _, n := range names {
		p, _ := props[n].(map[string]any)
		full, fptr := r.resolve(p, ptr+"/properties/"+escapePointer(n))
		f := Field{Path: prefix + n, Type: docWords(full, r), Required: required[n], Added: added}
		f.Description, _ = p["description"].(string)
		if ex, ok := p["examples"].([]any); ok && len(ex) > 0 {
			f.Example = ex[0]
		} else if ex, ok := full["examples"].([]any); ok && len(ex) > 0 {
			f.Example = ex[0]
		}
		out = append(out, f)
		out = append(out, r.fields(full, fptr, prefix+n+".", added, depth+1)...)
		if items, ok := full["items"].(map[string]any); ok {
			it, iptr := r.resolve(items, fptr+"/items")
			out = append(out, r.fields(it, iptr, prefix+n+"[].", added, depth+1)...)
		}
	}
	return out
}

// resolve follows a local $ref (#/$defs/x), returning the schema with the referring one's
// keywords on top and the pointer where the properties it lists are written.
func (r *reader) resolve(s map[string]any, ptr string) (map[string]any, string) {
	ref, ok := s["$ref"].(string)
	if !ok || !strings.HasPrefix(ref, "#/") {
		return s, ptr
	}
	cur := any(r.doc)
	for _, seg := range strings.Split(ref[2:], "/") {
		m, _ := cur.(map[string]any)
		cur = m[unescape(seg)]
	}
	target, _ := cur.(map[string]any)
	if target == nil {
		return s, ptr
	}
	out := map[string]any{"$defName": lastSegment(ref)}
	for k, v := range target {
		out[k] = v
	}
	for k, v := range s {
		if k != "$ref" {
			out[k] = v
		}
	}
	return out, ref[1:]
}

// docWords names a field's type as the documentation does.
func docWords(s map[string]any, r *reader) string {
	switch {
	case s["format"] == "decimal":
		return "decimal"
	case s["format"] == "date-time":
		return "time"
	case s["format"] == "date":
		return "date"
	case s["$defName"] == "currency":
		return "currency code"
	}
	if vals, ok := s["enum"].([]any); ok {
		var vs []string
		for _, v := range vals {
			if str, ok := v.(string); ok {
				vs = append(vs, str)
			}
		}
		return "one of " + strings.Join(vs, ", ")
	}
	types := typeList(s["type"])
	if len(types) == 2 && types[0] == "integer" && types[1] == "string" {
		return "id"
	}
	var ws []string
	for _, t := range types {
		switch t {
		case "array":
			w := "list"
			if items, ok := s["items"].(map[string]any); ok {
				it, _ := r.resolve(items, "")
				switch el := docWords(it, r); el {
				case "object":
					w = "list of objects"
				case "", "any value":
				default:
					w = "list of " + el + "s"
					if strings.HasPrefix(el, "one of") {
						w = "list, each " + el
					}
				}
			}
			ws = append(ws, w)
		default:
			ws = append(ws, t)
		}
	}
	if len(ws) == 0 {
		return "any value"
	}
	return strings.Join(ws, " or ")
}
