package exprs

import (
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// LookupName is the variable through which product() and the purchase-history functions reach
// the catalog and the customer's orders (a *products.Lookup). Flows cannot name it: `$lookup` is
// not a name of the language. Without it, product() is nil, bought() false, last_bought() nil and
// orders_within() 0.
const LookupName = "$lookup"

// lookupFuncs are the functions that read the catalog or the customer's history, each taking one
// argument that the flow writes; the lookup is put before it.
var lookupFuncs = map[string]string{
	"product":       "a product id, like product(trigger.data.items[0].product_id)",
	"bought":        `a product id, like bought("serum-v1")`,
	"last_bought":   `a product id, like last_bought("serum-v1")`,
	"orders_within": "a duration, like orders_within(days(90)) or orders_within(duration(\"2160h\"))",
}

// ProductFuncs are the functions whose argument is a product id.
var ProductFuncs = []string{"product", "bought", "last_bought"}

// ProductType is the type of what product() gives.
var ProductType = MapOf(map[string]*Type{
	"id": StringT, "sku": StringT, "name": StringT, "url": StringT, "image": StringT, "category": StringT,
	"related": ListOf(StringT), "replenish_after": DurationT, "replenish_days": IntT,
})

// ProductRef is a call of product(), bought() or last_bought(): validate checks that a product
// id written as text is in the catalog, and that product() has a catalog to read.
type ProductRef struct {
	Func   string
	ID     string // the id when written as text, or ""
	Offset int    // of the text, or of the call, in the expression's source
}

func lookupOf(v any) *products.Lookup {
	l, _ := v.(*products.Lookup)
	return l
}

func idArg(name string, p []any) (string, error) {
	if len(p) != 2 {
		return "", fmt.Errorf("%s takes one product id", name)
	}
	switch id := p[1].(type) {
	case string:
		return id, nil
	case nil:
		return "", errUnset
	case int, int64, float64:
		return fmt.Sprint(id), nil
	}
	return "", fmt.Errorf("%s takes a product id, not %T", name, p[1])
}

func lookupFunctions() []expr.Option {
	return []expr.Option{
		expr.Function("product", func(p ...any) (any, error) {
			id, err := idArg("product", p)
			if err != nil {
				return nil, unsetIsNil(err)
			}
			if m := lookupOf(p[0]).Product(id); m != nil {
				return m, nil
			}
			return nil, nil
		}, new(func(any, string) map[string]any)),
		expr.Function("bought", func(p ...any) (any, error) {
			id, err := idArg("bought", p)
			if err != nil {
				return false, unsetIsNil(err)
			}
			return lookupOf(p[0]).Bought(id), nil
		}, new(func(any, string) bool)),
		expr.Function("last_bought", func(p ...any) (any, error) {
			id, err := idArg("last_bought", p)
			if err != nil {
				return nil, unsetIsNil(err)
			}
			return lookupOf(p[0]).LastBought(id), nil
		}, new(func(any, string) time.Time)),
		expr.Function("orders_within", func(p ...any) (any, error) {
			if len(p) != 2 {
				return 0, fmt.Errorf("orders_within takes one duration")
			}
			d, ok := p[1].(time.Duration)
			if !ok {
				return 0, fmt.Errorf("orders_within takes a duration, like days(90)")
			}
			return lookupOf(p[0]).OrdersWithin(d), nil
		}, new(func(any, time.Duration) int)),
	}
}

// lookupPatcher puts the lookup before the argument of each call of a lookup function.
type lookupPatcher struct{}

func (lookupPatcher) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || lookupFuncs[id.Value] == "" || len(c.Arguments) != 1 {
		return
	}
	l := &ast.IdentifierNode{Value: LookupName}
	l.SetLocation(c.Location())
	c.Arguments = append([]ast.Node{l}, c.Arguments...)
}

// productRefs lists the product ids written as text in calls of the product functions.
func productRefs(root ast.Node) []ProductRef {
	var w refWalker
	ast.Walk(&root, &w)
	return w.refs
}

type refWalker struct{ refs []ProductRef }

func (w *refWalker) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok || len(c.Arguments) != 1 {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	for _, f := range ProductFuncs {
		if f != id.Value {
			continue
		}
		if s, ok := c.Arguments[0].(*ast.StringNode); ok {
			w.refs = append(w.refs, ProductRef{Func: f, ID: s.Value, Offset: loc(s)})
		} else {
			w.refs = append(w.refs, ProductRef{Func: f, Offset: loc(c)})
		}
	}
}
