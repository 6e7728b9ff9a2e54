// Package memsource sums a report over in-memory stores: a simulation's shards, or a test's store.
package memsource

import (
	"context"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/insight"
)

// Source is a report's source over stores that each hold some of the shop's customers.
type Source struct{ Stores []*memstore.Store }

// New returns the source of the stores.
func New(stores ...*memstore.Store) *Source { return &Source{Stores: stores} }

// Aggregate sums the stores' records for q.
func (s *Source) Aggregate(ctx context.Context, q insight.Query) (*insight.Aggregates, error) {
	r := &insight.Records{Goals: map[string]bool{}}
	for _, st := range s.Stores {
		r.Orders = append(r.Orders, st.AllOrders()...)
		js, err := st.Journeys(ctx, store.JourneyFilter{})
		if err != nil {
			return nil, err
		}
		r.Journeys = append(r.Journeys, js...)
		ms, err := st.Messages(ctx, store.MessageFilter{})
		if err != nil {
			return nil, err
		}
		r.Messages = append(r.Messages, ms...)
		for _, e := range st.EventsOfType(event.SurveyAnswered) {
			r.Surveys = append(r.Surveys, insight.Survey{At: e.Time, Score: e.Data["score"]})
		}
		for _, j := range js {
			if _, ok := r.Goals[j.FlowVersion]; ok {
				continue
			}
			v, err := st.FlowVersion(ctx, j.FlowVersion)
			r.Goals[j.FlowVersion] = err == nil && insight.HasGoal(v.Source)
		}
	}
	return r.Aggregate(ctx, q)
}

// MainCurrency is the currency of most counted orders, or "" when there are none.
func (s *Source) MainCurrency() string {
	var r insight.Records
	for _, st := range s.Stores {
		r.Orders = append(r.Orders, st.AllOrders()...)
	}
	return r.MainCurrency()
}
