package exprs

import (
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Read is one value an expression looked at: a path such as event.data.total or
// customer.orders_count, and what it held (nil when unset).
type Read struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// Reads lists the paths p reads, in the order they first appear, each with its value in v: what a
// person needs to see to understand why a condition held or not. Only the longest path of a chain
// is listed (event.data.total, not event.data as well), and only paths rooted in a name of v.
func (p *Program) Reads(v Vars) []Read {
	if p == nil || p.prog == nil {
		return nil
	}
	var paths []string
	seen := map[string]bool{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if n == nil {
			return
		}
		if path, ok := memberPath(n); ok {
			if !seen[path] {
				seen[path] = true
				paths = append(paths, path)
			}
			return
		}
		switch x := n.(type) {
		case *ast.CallNode:
			for _, a := range x.Arguments {
				walk(a)
			}
			return
		case *ast.MemberNode:
			walk(x.Node)
			walk(x.Property)
			return
		}
		for _, c := range children(n) {
			walk(c)
		}
	}
	walk(p.prog.Node())
	var out []Read
	for _, path := range paths {
		root, _, _ := strings.Cut(path, ".")
		if _, ok := v[root]; !ok || root == LookupName || root == budgetName {
			continue
		}
		longer := false
		for _, other := range paths {
			if strings.HasPrefix(other, path+".") {
				longer = true
				break
			}
		}
		if !longer {
			out = append(out, Read{Path: path, Value: lookupPath(v, path)})
		}
	}
	return out
}

// memberPath is the dotted path of a chain of names and property accesses (customer.consent.email),
// or false when the node is anything else.
func memberPath(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value, true
	case *ast.ChainNode:
		return memberPath(x.Node)
	case *ast.MemberNode:
		if x.Method {
			return "", false
		}
		prop, ok := x.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := memberPath(x.Node)
		if !ok {
			return "", false
		}
		return base + "." + prop.Value, true
	}
	return "", false
}

// lookupPath follows a dotted path through maps; nil when a part is missing.
func lookupPath(v Vars, path string) any {
	var cur any = map[string]any(v)
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			if vv, ok := cur.(Vars); ok {
				m = vv
			} else {
				return nil
			}
		}
		cur = m[part]
	}
	return cur
}
