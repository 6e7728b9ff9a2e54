package exprs

// FromJSONSchema reads the `properties` of a customer attribute schema into expression types:
// string with format date or date-time is a time, integer an int, number a float, and so on.
// Unknown or mixed types are untyped rather than refused: the schema is the shop's, and a loose
// attribute is still better than none.
func FromJSONSchema(schema map[string]any) map[string]*Type {
	props, _ := schema["properties"].(map[string]any)
	out := make(map[string]*Type, len(props))
	for name, p := range props {
		ps, _ := p.(map[string]any)
		out[name] = typeOfSchema(ps, 0)
	}
	return out
}

func typeOfSchema(s map[string]any, depth int) *Type {
	if s == nil || depth > 16 {
		return AnyT
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
		return ListOf(typeOfSchema(items, depth+1))
	case "object":
		props, ok := s["properties"].(map[string]any)
		if !ok {
			return OpenMapT
		}
		fields := map[string]*Type{}
		for n, p := range props {
			ps, _ := p.(map[string]any)
			fields[n] = typeOfSchema(ps, depth+1)
		}
		closed := s["additionalProperties"] == false
		return &Type{Kind: Map, Fields: fields, Open: !closed}
	}
	return AnyT
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
