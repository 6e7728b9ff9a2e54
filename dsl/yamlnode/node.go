package yamlnode

import (
	"encoding/json"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resolve follows aliases to the node they name.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Pair is a key and its value in a mapping.
type Pair struct {
	Key, Value *yaml.Node
}

// Pairs returns a mapping's entries in order, with `<<` merge keys expanded (entries written
// in the mapping itself win over merged ones). Entries whose key is not a string are left out:
// Parse has reported them, and a schema or a decoder seeing them too would report them again.
func Pairs(m *yaml.Node) []Pair {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var own, merged []Pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Tag == "!!merge" {
			v = Resolve(v)
			if v.Kind == yaml.SequenceNode {
				for _, s := range v.Content {
					merged = append(merged, Pairs(s)...)
				}
			} else {
				merged = append(merged, Pairs(v)...)
			}
			continue
		}
		if !StringKey(k) {
			continue
		}
		own = append(own, Pair{k, Resolve(v)})
	}
	if len(merged) == 0 {
		return own
	}
	seen := map[string]bool{}
	for _, p := range own {
		seen[p.Key.Value] = true
	}
	for _, p := range merged {
		if !seen[p.Key.Value] {
			seen[p.Key.Value] = true
			own = append(own, p)
		}
	}
	return own
}

// Get returns the key and value nodes for key in mapping m, or nils.
func Get(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	// Decoders look keys up one by one, many times a mapping: without merge keys, the entries
	// are read in place instead of being copied out by Pairs.
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag == "!!merge" {
			for _, p := range Pairs(m) {
				if p.Key.Value == key {
					return p.Key, p.Value
				}
			}
			return nil, nil
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Value == key && StringKey(kn) {
			return kn, Resolve(m.Content[i+1])
		}
	}
	return nil, nil
}

// Items returns a sequence's elements with aliases resolved.
func Items(s *yaml.Node) []*yaml.Node {
	s = Resolve(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(s.Content))
	for i, n := range s.Content {
		out[i] = Resolve(n)
	}
	return out
}

// IsScalar reports whether n is a scalar that is not null.
func IsScalar(n *yaml.Node) bool {
	n = Resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null"
}

// Scalar returns the value of a scalar node (its source text for numbers and booleans).
func Scalar(n *yaml.Node) string {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// Value converts a node to a plain value: map[string]any, []any, string, bool, int64, float64
// or nil. Timestamps stay strings, as they are in JSON. It assumes Parse already bounded aliases.
func Value(n *yaml.Node) any {
	n = Resolve(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, p := range Pairs(n) {
			m[p.Key.Value] = Value(p.Value)
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, Value(c))
		}
		return out
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
		var i int64
		if err := n.Decode(&i); err == nil {
			return i
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
	}
	return n.Value
}

// Index maps JSON-pointer instance locations (as a schema validator reports them) to nodes.
type Index struct {
	values map[string]*yaml.Node
	keys   map[string]*yaml.Node
}

// NewIndex records the node behind every location under root.
func NewIndex(root *yaml.Node) *Index {
	ix := &Index{values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	ix.add("", nil, Resolve(root), 0)
	return ix
}

func (ix *Index) add(ptr string, key, n *yaml.Node, depth int) {
	if n == nil || depth > 200 {
		return
	}
	ix.values[ptr] = n
	if key != nil {
		ix.keys[ptr] = key
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range Pairs(n) {
			ix.add(ptr+"/"+escape(p.Key.Value), p.Key, p.Value, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			ix.add(ptr+"/"+strconv.Itoa(i), nil, Resolve(c), depth+1)
		}
	}
}

// Value returns the node at ptr, or the nearest ancestor that exists.
func (ix *Index) Value(ptr string) *yaml.Node {
	for {
		if n, ok := ix.values[ptr]; ok {
			return n
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return ix.values[""]
		}
		ptr = ptr[:i]
	}
}

// Key returns the key node of the entry at ptr; for a list element or the root it returns the
// value node, so a diagnostic always has a place.
func (ix *Index) Key(ptr string) *yaml.Node {
	if k, ok := ix.keys[ptr]; ok {
		return k
	}
	return ix.Value(ptr)
}

// Child returns the key node of entry name inside the mapping at ptr, if present.
func (ix *Index) Child(ptr, name string) *yaml.Node {
	return ix.keys[ptr+"/"+escape(name)]
}

func escape(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// JSONValue is Value with numbers kept exact as json.Number, for data that becomes event data
// (59.90 stays "59.90", never a float).
func JSONValue(n *yaml.Node) any {
	n = Resolve(n)
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, p := range Pairs(n) {
			m[p.Key.Value] = JSONValue(p.Value)
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, JSONValue(c))
		}
		return out
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				return json.Number(strconv.FormatInt(i, 10))
			}
		case "!!float":
			if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
				return json.Number(n.Value)
			}
		}
		return scalarValue(n)
	}
	return nil
}
