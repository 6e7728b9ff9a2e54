// Package insighttest is the conformance suite of report sources: the database's SQL and the
// in-memory computation must give the same report, figure for figure, for the same history. Each
// test writes a history into an empty store and compares the report with one computed by hand.
package insighttest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/insight"
)

// Sources give a test an empty store and the report source over it.
type Sources struct {
	NewStore func(t *testing.T) store.Store
	Source   func(st store.Store) insight.Source
}

// Run runs every test of the suite.
func Run(t *testing.T, s Sources) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Sources)
	}{
		{"a quarter computed by hand", testQuarterByHand},
		{"an empty history", testEmpty},
		{"a shop run by the engine", testEngineShop},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

// History is what a test writes into a store.
type History struct {
	Orders   []*store.Order
	Journeys []*store.Journey
	Messages []*store.Message
	Events   []store.StoredEvent
	Versions []store.FlowVersion
}

// Write stores a history in one transaction, each order with its place among its customer's, as
// the engine keeps them.
func (h *History) Write(ctx context.Context, st store.Store) error {
	ids := map[string]bool{}
	byCustomer := map[string][]*store.Order{}
	for _, o := range h.Orders {
		ids[o.CustomerID] = true
		byCustomer[o.CustomerID] = append(byCustomer[o.CustomerID], o)
	}
	for _, os := range byCustomer {
		store.RankOrders(os)
	}
	for _, j := range h.Journeys {
		ids[j.CustomerID] = true
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.LockCustomers(ctx, sorted(ids), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			return err
		}
		if _, err := tx.InsertEvents(ctx, h.Events); err != nil {
			return err
		}
		if err := tx.SaveFlowVersions(ctx, h.Versions); err != nil {
			return err
		}
		if err := tx.SaveOrders(ctx, h.Orders); err != nil {
			return err
		}
		if err := tx.SaveJourneys(ctx, h.Journeys); err != nil {
			return err
		}
		return tx.InsertMessages(ctx, h.Messages)
	})
}

// Equal fails the test when a report differs from the one expected, written as JSON.
func Equal(t *testing.T, got *insight.Report, want string) {
	t.Helper()
	g, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if err := json.Indent(&w, []byte(want), "", "  "); err != nil {
		t.Fatalf("the expected report is not JSON: %v", err)
	}
	if !bytes.Equal(g, w.Bytes()) {
		t.Errorf("report differs\n got: %s\nwant: %s", g, w.String())
	}
}

func compute(t *testing.T, s Sources, h *History, q insight.Query) *insight.Report {
	t.Helper()
	ctx := context.Background()
	st := s.NewStore(t)
	t.Cleanup(st.Close)
	if err := h.Write(ctx, st); err != nil {
		t.Fatal(err)
	}
	r, err := insight.Compute(ctx, s.Source(st), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
