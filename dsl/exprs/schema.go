package exprs

import "strings"

// FromJSONSchema reads the `properties` of a customer attribute schema into expression types:
// string with format date or date-time is a time, integer an int, number a float, and so on.
// Unknown or mixed types are untyped rather than refused: the schema is the shop's, and a loose
// attribute is still better than none.
func FromJSONSchema(schema map[string]any) map[string]*Type {
	r := schemaReader{root: schema}
	props, _ := schema["properties"].(map[string]any)
	out := make(map[string]*Type, len(props))
	for name, p := range props {
		ps, _ := p.(map[string]any)
		out[name] = r.typeOf(ps, 0)
	}
	return out
}

// DataType is the type of an event's data, from the JSON Schemas it must fit (an event type of
// the catalog, decoded): the fields they list, typed. It is open, since data may carry other
// fields, unless a schema closes it; loose says how a field no schema lists is taken, and applies
// to the objects inside the data (an order's items) too.
func DataType(schemas []map[string]any, loose *Loose) *Type {
	t := &Type{Kind: Map, Fields: map[string]*Type{}, Open: true, Loose: loose}
	for _, s := range schemas {
		r := schemaReader{root: s, loose: loose}
		part := r.typeOf(s, 0)
		if part.Kind != Map {
			continue
		}
		for n, f := range part.Fields {
			t.Fields[n] = f
		}
		t.Open = t.Open && part.Open
	}
	return t
}

// EventOf is the type of an event (`event`, `trigger`, `steps.ID.event`) whose data is of type data.
func EventOf(data *Type) *Type {
	return MapOf(map[string]*Type{"id": StringT, "type": StringT, "source": StringT, "subject": StringT, "time": TimeT, "data": data})
}

// schemaReader converts the schemas of one document, whose local $refs it follows.
type schemaReader struct {
	root  map[string]any
	loose *Loose
}

func (r schemaReader) typeOf(s map[string]any, depth int) *Type {
	if s == nil || depth > 16 {
		return AnyT
	}
	s = r.resolve(s, depth)
	if s["format"] == "decimal" {
		return &Type{Kind: Float, Decimal: true}
	}
	typ := schemaType(s["type"])
	switch typ {
	case "string":
		switch s["format"] {
		case "date", "date-time":
			return TimeT
		}
		if vals, ok := s["enum"].([]any); ok {
			t := &Type{Kind: String}
			for _, v := range vals {
				if str, ok := v.(string); ok {
					t.Enum = append(t.Enum, str)
				}
			}
			return t
		}
		return StringT
	case "integer":
		return IntT
	case "number":
		return FloatT
	case "boolean":
		return BoolT
	case "array":
		items, _ := s["items"].(map[string]any)
		return ListOf(r.typeOf(items, depth+1))
	case "object", "":
		props, ok := s["properties"].(map[string]any)
		if !ok {
			if typ == "" && !isID(s["type"]) {
				return AnyT
			}
			if typ == "" {
				return StringT // an id: a string, or a whole number read as its digits
			}
			return OpenMapT
		}
		fields := map[string]*Type{}
		for n, p := range props {
			ps, _ := p.(map[string]any)
			fields[n] = r.typeOf(ps, depth+1)
		}
		closed := s["additionalProperties"] == false || s["unevaluatedProperties"] == false
		return &Type{Kind: Map, Fields: fields, Open: !closed, Loose: r.loose}
	}
	return AnyT
}

// resolve follows a local $ref (#/$defs/NAME), keeping the referring schema's own keywords.
func (r schemaReader) resolve(s map[string]any, depth int) map[string]any {
	ref, ok := s["$ref"].(string)
	if !ok || !strings.HasPrefix(ref, "#/") || depth > 16 {
		return s
	}
	var cur any = r.root
	for _, seg := range strings.Split(ref[2:], "/") {
		m, _ := cur.(map[string]any)
		cur = m[strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")]
	}
	target, _ := cur.(map[string]any)
	if target == nil {
		return s
	}
	out := make(map[string]any, len(target)+len(s))
	for k, v := range r.resolve(target, depth+1) {
		out[k] = v
	}
	for k, v := range s {
		if k != "$ref" {
			out[k] = v
		}
	}
	return out
}

// isID reports a `type` of a string and a whole number: an id, which expressions see as text.
func isID(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) != 2 {
		return false
	}
	a, _ := l[0].(string)
	b, _ := l[1].(string)
	return a == "string" && b == "integer" || a == "integer" && b == "string"
}

// schemaType returns the single non-null type named by a `type` keyword, or "".
func schemaType(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		found := ""
		for _, e := range t {
			s, _ := e.(string)
			if s == "null" {
				continue
			}
			if found != "" {
				return ""
			}
			found = s
		}
		return found
	}
	return ""
}
