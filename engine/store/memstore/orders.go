package memstore

import (
	"context"
	"sort"

	"github.com/afterglowhq/afterglow/engine/store"
)

func (t *tx) Orders(ctx context.Context, customerIDs []string) ([]*store.Order, error) {
	var out []*store.Order
	for _, cid := range customerIDs {
		out = append(out, t.s.customerOrders(cid)...)
	}
	return out, nil
}

func (t *tx) SaveOrders(ctx context.Context, os []*store.Order) error {
	for _, o := range os {
		inner := t.s.ledger[o.CustomerID]
		if inner == nil {
			inner = map[string]*store.Order{}
			set(t, t.s.ledger, o.CustomerID, inner)
		}
		set(t, inner, o.OrderID, cloneOrder(o))
	}
	return nil
}

// CustomerOrders returns a customer's orders by order id.
func (s *Store) CustomerOrders(ctx context.Context, customerID string) ([]*store.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customerOrders(customerID), nil
}

// AllOrders returns every customer's orders, by customer and order id: the whole ledger, for
// reports computed in memory.
func (s *Store) AllOrders() []*store.Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.ledger))
	for id := range s.ledger {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []*store.Order
	for _, id := range ids {
		out = append(out, s.customerOrders(id)...)
	}
	return out
}

func (s *Store) customerOrders(customerID string) []*store.Order {
	inner := s.ledger[customerID]
	out := make([]*store.Order, 0, len(inner))
	for _, o := range inner {
		out = append(out, cloneOrder(o))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OrderID < out[j].OrderID })
	return out
}

func cloneOrder(o *store.Order) *store.Order {
	c := *o
	c.PlacedAt, c.CancelledAt, c.FirstAt, c.PrevAt = ts(o.PlacedAt), ts(o.CancelledAt), ts(o.FirstAt), ts(o.PrevAt)
	c.Items = append([]store.OrderItem(nil), o.Items...)
	return &c
}
