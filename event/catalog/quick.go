package catalog

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The general validator builds an error tree and many strings for every value it visits, which
// made checking an order cost half as much as storing it. Most data fits, and the catalog's
// schemas use a handful of keywords, so a value is first tried by quick, which knows those and
// allocates nothing; only data that quick refuses (or a schema with other keywords) goes through
// the validator, which then says what is wrong. TestQuickAgreesWithTheValidator keeps the two
// in step.

// quickable reports whether quick can decide for s: every keyword of s and of the schemas it
// leads to is one quick implements as the validator does.
func quickable(s *jsonschema.Schema, seen map[*jsonschema.Schema]bool) bool {
	if s == nil || seen[s] {
		return true
	}
	seen[s] = true
	if s.RecursiveRef != nil || s.DynamicRef != nil || s.Not != nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 ||
		s.If != nil || s.MinProperties != -1 || s.MaxProperties != -1 || s.PropertyNames != nil || s.RegexProperties ||
		len(s.PatternProperties) > 0 || len(s.Dependencies)+len(s.DependentRequired)+len(s.DependentSchemas) > 0 ||
		s.UnevaluatedProperties != nil || s.UniqueItems || s.AdditionalItems != nil || len(s.PrefixItems) > 0 ||
		s.Contains != nil || s.UnevaluatedItems != nil || s.ContentEncoding != "" || s.ContentMediaType != "" ||
		s.ContentSchema != nil || s.MultipleOf != nil || len(s.Constant) > 0 || len(s.Extensions) > 0 {
		return false
	}
	if _, isSchema := s.AdditionalProperties.(*jsonschema.Schema); isSchema {
		return false
	}
	if _, old := s.Items.([]*jsonschema.Schema); old {
		return false
	}
	for _, e := range s.Enum {
		switch e.(type) {
		case string, bool, nil:
		default:
			return false
		}
	}
	if s.Format != "" && formatFunc(s.Format) == nil && jsonschema.Formats[s.Format] != nil {
		return false
	}
	for _, p := range s.Properties {
		if !quickable(p, seen) {
			return false
		}
	}
	item, _ := s.Items.(*jsonschema.Schema)
	return quickable(s.Ref, seen) && quickable(item, seen) && quickable(s.Items2020, seen)
}

// formatFunc is the check of a format the catalog's compiler asserts, as newCompiler registers
// them and the validator looks them up: the compiler's own, then the library's.
func formatFunc(name string) func(any) bool {
	if name == "decimal" {
		return isDecimal
	}
	return jsonschema.Formats[name]
}

// quick reports whether v fits s. It must be called only for a quickable s.
func quick(s *jsonschema.Schema, v any) bool {
	if s.Always != nil {
		return *s.Always
	}
	kind := kindOf(v)
	if kind == "" {
		return false // not a JSON value: the validator says so
	}
	if len(s.Types) > 0 && !typeFits(s.Types, kind, v) {
		return false
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if e == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if s.Format != "" {
		if f := formatFunc(s.Format); f != nil && !f(v) {
			return false
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := x[r]; !ok {
				return false
			}
		}
		closed := s.AdditionalProperties == false
		for k, pv := range x {
			p, ok := s.Properties[k]
			if !ok {
				if closed {
					return false
				}
				continue
			}
			if !quick(p, pv) {
				return false
			}
		}
	case []any:
		if s.MinItems != -1 && len(x) < s.MinItems || s.MaxItems != -1 && len(x) > s.MaxItems {
			return false
		}
		item, _ := s.Items.(*jsonschema.Schema)
		if item == nil {
			item = s.Items2020
		}
		if item != nil {
			for _, e := range x {
				if !quick(item, e) {
					return false
				}
			}
		}
	case string:
		if s.MinLength != -1 || s.MaxLength != -1 {
			n := utf8.RuneCountInString(x)
			if s.MinLength != -1 && n < s.MinLength || s.MaxLength != -1 && n > s.MaxLength {
				return false
			}
		}
		if s.Pattern != nil {
			if f := fastPatterns[s.Pattern.String()]; f != nil && !f(x) || f == nil && !s.Pattern.MatchString(x) {
				return false
			}
		}
	}
	if kind == "number" && !inBounds(s, v) {
		return false
	}
	if s.Ref != nil && !quick(s.Ref, v) {
		return false
	}
	return true
}

func inBounds(s *jsonschema.Schema, v any) bool {
	var n *big.Rat
	cmp := func(bound *big.Rat) int {
		if c, ok := compareSmall(v, bound); ok {
			return c
		}
		if n == nil {
			var ok bool
			if n, ok = new(big.Rat).SetString(fmt.Sprint(v)); !ok {
				n = nil
				return 0
			}
		}
		return n.Cmp(bound)
	}
	return (s.Minimum == nil || cmp(s.Minimum) >= 0) && (s.Maximum == nil || cmp(s.Maximum) <= 0) &&
		(s.ExclusiveMinimum == nil || cmp(s.ExclusiveMinimum) > 0) && (s.ExclusiveMaximum == nil || cmp(s.ExclusiveMaximum) < 0)
}

// kindOf is the JSON type of a decoded value as the validator names it, or "" for a Go value
// that is not JSON.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float32, float64, int, int8, int32, int64, uint, uint8, uint32, uint64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

func typeFits(types []string, kind string, v any) bool {
	for _, t := range types {
		if t == kind {
			return true
		}
		if t == "integer" && kind == "number" && isWhole(v) {
			return true
		}
	}
	return false
}

// isWhole says whether a number is an integer, as the validator decides it (1.0 is one).
func isWhole(v any) bool {
	if n, ok := v.(json.Number); ok && !strings.ContainsAny(string(n), ".eE") {
		return true
	}
	r, ok := new(big.Rat).SetString(fmt.Sprint(v))
	return ok && r.IsInt()
}
