package inspect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/policy"
	"github.com/afterglowhq/afterglow/engine/store"
)

// Options say what Customer shows besides the customer.
type Options struct {
	// Flow, when set, explains each of the customer's events of that flow's trigger type.
	Flow string
	// Events is how many of the latest events are listed (default 20).
	Events int
	// Now is the moment a schedule's audience is evaluated at (zero: the wall clock).
	Now time.Time
}

// ErrUnknownFlow is returned when the flow asked about is not in the workspace.
var ErrUnknownFlow = errors.New("no such flow in the workspace")

// Customer reads what the store keeps about one customer. With opts.Flow it also explains that
// flow's trigger events of the customer, by the engine's own entry rules, against ws: the
// workspace the engine runs (nil reads the last one the engine saved in the store). An unknown
// customer is store.ErrNotFound.
func Customer(ctx context.Context, r store.Reader, ws *dsl.Workspace, id string, opts Options) (*CustomerView, error) {
	c, err := r.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	if opts.Events <= 0 {
		opts.Events = 20
	}
	v := &CustomerView{ID: c.ID, CreatedAt: timePtr(c.CreatedAt), Attributes: c.Attrs, Consent: consentViews(c),
		Events: []EventView{}, Journeys: []JourneyView{}, Messages: []MessageView{}}
	if v.Attributes == nil {
		v.Attributes = map[string]any{}
	}
	orders, err := r.CustomerOrders(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Orders = orderMetrics(c, orders)
	evs, err := r.Events(ctx, store.EventFilter{CustomerID: id, Limit: opts.Events})
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		v.Events = append(v.Events, EventView{ID: ev.ID, Type: ev.Type, Time: ev.Time, Source: ev.Source, Data: ev.Data})
	}
	js, err := r.Journeys(ctx, store.JourneyFilter{CustomerID: id})
	if err != nil {
		return nil, err
	}
	for _, j := range js {
		v.Journeys = append(v.Journeys, journeyView(j))
	}
	ms, err := r.Messages(ctx, store.MessageFilter{CustomerID: id})
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		mv, err := messageView(ctx, r, m)
		if err != nil {
			return nil, err
		}
		v.Messages = append(v.Messages, mv)
	}
	if opts.Flow != "" {
		if ws == nil {
			if ws, _, err = engine.LastWorkspace(ctx, r); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil, fmt.Errorf("flow %s: the database holds no workspace yet: run the engine once on it", opts.Flow)
				}
				return nil, err
			}
		}
		fs := engine.NewFlowSet(ws)
		f := fs.Flow(opts.Flow)
		if f == nil {
			f = draftFlow(ws, opts.Flow)
		}
		if f == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownFlow, opts.Flow)
		}
		if v.Flow, err = decide(ctx, r, fs, f, c, orders, js, v.Messages, opts.Now); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// draftFlow finds a flow the flow set leaves out because it never runs.
func draftFlow(ws *dsl.Workspace, id string) *dsl.Flow {
	for _, f := range ws.Flows {
		if f.ID == id {
			return f
		}
	}
	return nil
}

func consentViews(c *store.Customer) []ConsentView {
	out := []ConsentView{}
	for ch, k := range c.Consent {
		s := ConsentUnknown
		if k.Granted != nil && *k.Granted {
			s = ConsentGranted
		} else if k.Granted != nil {
			s = ConsentWithdrawn
		}
		out = append(out, ConsentView{Channel: ch, Status: s, At: timePtr(k.At), EventID: k.EventID, EventType: k.EventType})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Channel < out[k].Channel })
	return out
}

func orderMetrics(c *store.Customer, orders []*store.Order) OrderMetrics {
	m := OrderMetrics{OrdersCount: c.OrdersCount, TotalSpent: c.TotalSpent.StringFixed(2),
		FirstOrderAt: timePtr(c.FirstOrderAt), LastOrderAt: timePtr(c.LastOrderAt), List: []OrderView{}}
	for _, o := range orders {
		m.List = append(m.List, OrderView{OrderID: o.OrderID, PlacedAt: timePtr(o.PlacedAt), Total: o.Total.StringFixed(2),
			Refunded: o.Refunded.StringFixed(2), Currency: o.Currency, CancelledAt: timePtr(o.CancelledAt), Counted: o.Counted()})
	}
	return m
}

func journeyView(j *store.Journey) JourneyView {
	arm := ArmTreatment
	if j.Holdout {
		arm = ArmHoldout
	}
	return JourneyView{ID: j.ID, Flow: j.FlowID, Version: j.FlowVersion, Key: j.Key, Status: j.Status, Step: j.StepID,
		WakesAt: timePtr(j.WakeAt), WaitsFor: j.WaitEvent, Arm: arm, EnteredAt: j.EnteredAt, EndedAt: timePtr(j.EndedAt),
		Reason: j.Reason, Trigger: j.Trigger.ID, Converted: timePtr(j.ConvertedAt)}
}

func messageView(ctx context.Context, r store.Reader, m *store.Message) (MessageView, error) {
	v := MessageView{ID: m.ID, JourneyID: m.JourneyID, Flow: m.FlowID, Step: m.StepID, Channel: m.Channel, Category: m.Category,
		Status: m.Status, Reason: m.Reason, ScheduledAt: m.SendAt, CreatedAt: m.CreatedAt, SentAt: timePtr(m.SentAt),
		Attempts: []AttemptView{}, LastError: m.LastError}
	if m.Reason != "" && (m.Status == store.Skipped || m.Status == store.Pending) {
		v.Why = policy.Explain(m.Reason, m.Channel)
	}
	if m.Attempts == 0 {
		return v, nil
	}
	as, err := r.Attempts(ctx, m.ID)
	if err != nil {
		return v, err
	}
	for _, a := range as {
		v.Attempts = append(v.Attempts, AttemptView{N: a.N, At: a.At, Outcome: a.Outcome, Error: a.Error})
	}
	return v, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
