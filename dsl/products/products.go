// Package products is the shop's product catalog: what flows and templates know of a product by
// its id (its name, page, picture, how long it lasts, what goes with it), read from a YAML or CSV
// file with every problem at its line and column, and what product() and the purchase-history
// functions read when they run.
package products

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// Product is one product of the catalog.
type Product struct {
	ID             string
	SKU            string
	Name           string
	URL            string
	Image          string
	ReplenishAfter time.Duration // zero when the catalog does not say
	ReplenishText  string        // as written: 30d
	Related        []string
	Category       string
	Line, Col      int // where its id is written
}

// Catalog is the products of a workspace, by id.
type Catalog struct {
	File     string
	Products []*Product // in file order
	byID     map[string]*Product
	bySKU    map[string]*Product // the first product listed with each sku
}

// New indexes products, which have distinct ids.
func New(file string, ps []*Product) *Catalog {
	c := &Catalog{File: file, Products: ps, byID: make(map[string]*Product, len(ps)), bySKU: map[string]*Product{}}
	for _, p := range ps {
		c.byID[p.ID] = p
		if _, seen := c.bySKU[p.SKU]; p.SKU != "" && !seen {
			c.bySKU[p.SKU] = p
		}
	}
	return c
}

// Get returns the product with that id, or nil (also on a nil catalog).
func (c *Catalog) Get(id string) *Product {
	if c == nil {
		return nil
	}
	return c.byID[id]
}

// BySKU returns the first product listed with that sku, or nil: an order line that names no
// product id (an order exported as CSV) is matched by its sku.
func (c *Catalog) BySKU(sku string) *Product {
	if c == nil || sku == "" {
		return nil
	}
	return c.bySKU[sku]
}

// IDs lists the products' ids, sorted.
func (c *Catalog) IDs() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.byID))
	for id := range c.byID {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Suggest returns ` (did you mean "x"?)` for an id that is not in the catalog, or "".
func (c *Catalog) Suggest(id string) string { return diag.DidYouMean(id, c.IDs()) }

// Value is the product as expressions see it: replenish_after is a duration (nil when the
// catalog does not say), replenish_days the whole days it lasts.
func (p *Product) Value() map[string]any {
	if p == nil {
		return nil
	}
	m := p.fields()
	if p.ReplenishAfter > 0 {
		m["replenish_after"] = p.ReplenishAfter
		m["replenish_days"] = int(p.ReplenishAfter / (24 * time.Hour))
	}
	return m
}

// Snapshot is the product as an order item carries it, in JSON values: replenish_after as the
// catalog writes it (30d). Templates see the product so too.
func (p *Product) Snapshot() map[string]any {
	if p == nil {
		return nil
	}
	m := p.fields()
	if p.ReplenishAfter > 0 {
		m["replenish_after"] = p.ReplenishText
		m["replenish_days"] = json.Number(strconv.Itoa(int(p.ReplenishAfter / (24 * time.Hour))))
	}
	return m
}

// fields are the product's fields that read the same in every form; an unset one is nil, so that
// a template prints nothing and has() is false.
func (p *Product) fields() map[string]any {
	text := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	related := make([]any, len(p.Related))
	for i, r := range p.Related {
		related[i] = r
	}
	return map[string]any{"id": p.ID, "sku": text(p.SKU), "name": text(p.Name), "url": text(p.URL), "image": text(p.Image),
		"category": text(p.Category), "related": related, "replenish_after": nil, "replenish_days": nil}
}

// History is a customer's counted orders (placed and not cancelled), as the purchase-history
// functions read them.
type History interface {
	// Bought reports whether a counted order holds the product.
	Bought(productID string) bool
	// LastBought is the moment of the latest counted order holding the product.
	LastBought(productID string) (time.Time, bool)
	// OrdersWithin counts the counted orders placed in the d before now.
	OrdersWithin(d time.Duration, now time.Time) int
}

// Lookup is what product() and the purchase-history functions read when they run: the
// workspace's catalog and one customer's history, at the engine's clock. A missing part answers
// as an empty catalog or a customer with no orders.
type Lookup struct {
	Products *Catalog
	History  History
	Now      time.Time
}

// Catalog is the lookup's catalog, or nil.
func (l *Lookup) Catalog() *Catalog {
	if l == nil {
		return nil
	}
	return l.Products
}

// Product is the catalog's product as expressions see it, or nil.
func (l *Lookup) Product(id string) map[string]any {
	if l == nil {
		return nil
	}
	return l.Products.Get(id).Value()
}

// Bought reports whether the customer's counted orders hold the product.
func (l *Lookup) Bought(id string) bool {
	return l != nil && l.History != nil && l.History.Bought(id)
}

// LastBought is when the customer last bought the product in a counted order, or nil.
func (l *Lookup) LastBought(id string) any {
	if l == nil || l.History == nil {
		return nil
	}
	if t, ok := l.History.LastBought(id); ok {
		return t
	}
	return nil
}

// OrdersWithin counts the customer's counted orders placed in the d before now.
func (l *Lookup) OrdersWithin(d time.Duration) int {
	if l == nil || l.History == nil {
		return 0
	}
	return l.History.OrdersWithin(d, l.Now)
}
