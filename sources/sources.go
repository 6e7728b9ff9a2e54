// Package sources holds what the event sources share: the Sink they hand canonical events to, the
// optional lookup of an order's customer, and the HTTP plumbing every source needs (a size-limited
// body reader, HMAC checks in constant time, JSON answers).
//
// Each source lives in its own folder and registers a Spec (registry.go): httpapi (canonical
// CloudEvents over HTTP), shopify and woocommerce (platform webhooks converted to canonical
// events); sources/all imports them all. README.md in this folder maps every
// platform topic to the events it produces and explains how event ids are derived.
package sources

import (
	"context"

	"github.com/afterglowhq/afterglow/event"
)

// Sink stores and processes events; Submit returns only after they are committed, so that a 2xx
// answer means nothing acknowledged can be lost. A rejected batch stores nothing. A batch with an
// event that does not fit the event catalog (its envelope, or its data against its type) is
// refused with *event.Refused, which lists every problem: the engine's Ingest does so.
type Sink interface {
	Submit(ctx context.Context, events []event.Event) error
}

// OrderCustomers finds who placed an order. Some platform notices name the order but not its
// customer (a Shopify refund carries neither customer nor email; a fulfillment only the order's
// email), yet their events must be about the same customer as the order.placed was, or a flow
// waiting for them would never see them.
//
// CustomerOfOrder returns the subject of the order.placed event with this source and
// data.order_id, and found=false when no such event was stored. A sink that keeps the event
// history can implement it; the webhook sources use it when their sink does, or when it is given
// to them explicitly.
type OrderCustomers interface {
	CustomerOfOrder(ctx context.Context, source, orderID string) (customerID string, found bool, err error)
}
