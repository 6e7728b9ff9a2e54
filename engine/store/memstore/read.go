package memstore

import (
	"container/heap"
	"context"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func (s *Store) Customer(ctx context.Context, id string) (*store.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cloneCustomer(c), nil
}

func (s *Store) Journeys(ctx context.Context, f store.JourneyFilter) ([]*store.Journey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	if f.CustomerID != "" {
		ids = s.byCustomer[f.CustomerID]
	} else {
		for _, js := range s.byCustomer {
			ids = append(ids, js...)
		}
	}
	var out []*store.Journey
	for _, id := range ids {
		j := s.journeys[id]
		if (f.FlowID == "" || j.FlowID == f.FlowID) && (f.Status == "" || j.Status == f.Status) {
			out = append(out, cloneJourney(j))
		}
	}
	sortJourneys(out)
	return out, nil
}

// sortJourneys puts journeys in the order of store.Reader.Journeys and store.Tx.OpenJourneys.
func sortJourneys(js []*store.Journey) {
	sort.Slice(js, func(i, j int) bool {
		a, b := js[i], js[j]
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		if !a.EnteredAt.Equal(b.EnteredAt) {
			return a.EnteredAt.Before(b.EnteredAt)
		}
		return a.ID < b.ID
	})
}

// sortMessages orders messages by send time, then id.
func sortMessages(ms []*store.Message) {
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].SendAt.Equal(ms[j].SendAt) {
			return ms[i].SendAt.Before(ms[j].SendAt)
		}
		return ms[i].ID < ms[j].ID
	})
}

func (s *Store) Messages(ctx context.Context, f store.MessageFilter) ([]*store.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*store.Message
	for _, id := range s.msgOrder {
		m := s.messages[id]
		if (f.CustomerID == "" || m.CustomerID == f.CustomerID) && (f.FlowID == "" || m.FlowID == f.FlowID) && (f.Status == "" || m.Status == f.Status) {
			out = append(out, cloneMessage(m))
		}
	}
	sortMessages(out)
	return out, nil
}

func (s *Store) Attempts(ctx context.Context, messageID string) ([]store.Attempt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Attempt(nil), s.attempts[messageID]...), nil
}

func (s *Store) LastWorkspace(ctx context.Context) (*store.Workspace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.workspace == nil {
		return nil, store.ErrNotFound
	}
	c := *s.workspace
	return &c, nil
}

func (s *Store) FlowVersion(ctx context.Context, version string) (*store.FlowVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.versions[version]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *v
	return &c, nil
}

func (s *Store) Event(ctx context.Context, customerID, id string) (*store.StoredEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.events[[2]string{customerID, id}]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cloneEvent(e), nil
}

func (s *Store) CustomerOfOrder(ctx context.Context, source, orderID string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.orders[[2]string{source, orderID}]
	return r.customer, ok, nil
}

func (s *Store) NextWake(ctx context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.wake.Len() > 0 {
		top := s.wake[0]
		if c := s.customers[top.id]; c != nil && c.NextWakeAt.Equal(top.at) {
			return top.at, true, nil
		}
		heap.Pop(&s.wake) // stale, and never needed again: the customer's current entry is also in the heap
	}
	return time.Time{}, false, nil
}

func (s *Store) Stats(ctx context.Context, now time.Time) (*store.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now = ts(now)
	st := &store.Stats{ActiveJourneys: map[string]int64{}, Messages: map[[2]string]int64{}}
	for _, j := range s.journeys {
		if j.Status == store.Active {
			st.ActiveJourneys[j.FlowID]++
		}
	}
	for _, m := range s.messages {
		st.Messages[[2]string{m.Channel, m.Status}]++
		if m.Status == store.Pending && !m.SendAt.After(now) && (st.OldestDueMessage.IsZero() || m.SendAt.Before(st.OldestDueMessage)) {
			st.OldestDueMessage = m.SendAt
		}
	}
	for _, c := range s.customers {
		if !c.NextWakeAt.IsZero() && !c.NextWakeAt.After(now) && (st.OldestDueTimer.IsZero() || c.NextWakeAt.Before(st.OldestDueTimer)) {
			st.OldestDueTimer = c.NextWakeAt
		}
	}
	return st, nil
}

func (s *Store) Schedules(ctx context.Context) ([]store.Schedule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.Schedule
	for _, sc := range s.schedules {
		out = append(out, *sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FlowID < out[j].FlowID })
	return out, nil
}

// EventsOfType returns the stored events of one type, by subject and id: for reports computed in
// memory.
func (s *Store) EventsOfType(typ string) []*store.StoredEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*store.StoredEvent
	for _, e := range s.events {
		if e.Type == typ {
			out = append(out, cloneEvent(e))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]*store.StoredEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*store.StoredEvent
	for k, e := range s.events {
		if k[0] == f.CustomerID && (f.Type == "" || e.Type == f.Type) {
			out = append(out, cloneEvent(e))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[len(out)-f.Limit:]
	}
	return out, nil
}

func (s *Store) FindCustomers(ctx context.Context, q string, limit int) ([]*store.Customer, error) {
	if q == "" || limit <= 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*store.Customer
	for id, c := range s.customers {
		email, _ := c.Attrs["email"].(string)
		if strings.HasPrefix(id, q) || strings.EqualFold(email, q) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	for i, c := range out {
		out[i] = cloneCustomer(c)
	}
	return out, nil
}
