// Package scenario runs scenario tests (*.test.yaml): customers and events on a virtual clock
// through the real engine, then compares the messages and journeys that came out with what the
// test expects, and explains any difference.
package scenario

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
)

// NewStore gives each test a store of its own; release frees it.
type NewStore func(ctx context.Context) (st store.Store, release func(), err error)

// Result is the outcome of one scenario test.
type Result struct {
	Name     string
	File     string
	Pass     bool
	Report   string // for a failure: what differs, and the run's timeline
	Err      error  // the test could not run
	Duration time.Duration
}

// Run runs one scenario against its workspace.
func Run(ctx context.Context, sc *dsl.Scenario, ws *dsl.Workspace, newStore NewStore) (res Result) {
	started := time.Now()
	res = Result{Name: sc.Name, File: sc.File}
	defer func() { res.Duration = time.Since(started) }()
	out, err := execute(ctx, sc, ws, newStore)
	if err != nil {
		res.Err = err
		return res
	}
	res.Report, res.Pass = compare(sc, out)
	return res
}

// outcome is what a run produced.
type outcome struct {
	messages []*store.Message
	journeys []*store.Journey
	// why explains, for an expected journey of a customer in a flow that is missing, each of the
	// customer's trigger events of the flow that started none.
	why map[[2]string][]string
}

func execute(ctx context.Context, sc *dsl.Scenario, ws *dsl.Workspace, newStore NewStore) (*outcome, error) {
	if sc.Start.IsZero() {
		return nil, fmt.Errorf("the test has no start time")
	}
	sub, err := only(ws, sc.Flows)
	if err != nil {
		return nil, err
	}
	st, release, err := newStore(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	clk := clock.NewVirtual(sc.Start)
	eng := engine.New(st, engine.NewFlowSet(sub), engine.Options{
		Clock: clk, Logger: zerolog.Nop(), EventTime: true,
		Unsubscribe: func(customerID, channel, messageID string) string {
			return "https://afterglow.test/u/" + messageID
		},
	})
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		return nil, err
	}
	for _, c := range sc.Customers {
		if err := eng.PutCustomer(ctx, c.ID, c.Attrs); err != nil {
			return nil, err
		}
	}
	evs := make([]event.Event, len(sc.Events))
	for i, e := range sc.Events {
		id := e.ID
		if id == "" {
			id = fmt.Sprintf("test-%d", i+1)
		}
		evs[i] = event.Event{SpecVersion: event.SpecVersion, ID: id, Source: "test", Type: e.Type, Subject: e.Customer, Time: e.At, Data: e.Data}
	}
	until := sc.Start.Add(sc.Until)
	d := &sim.Driver{Engine: eng, Clock: clk}
	if err := d.Run(ctx, evs, until); err != nil {
		return nil, err
	}
	ms, err := st.Messages(ctx, store.MessageFilter{})
	if err != nil {
		return nil, err
	}
	js, err := st.Journeys(ctx, store.JourneyFilter{})
	if err != nil {
		return nil, err
	}
	var kept []*store.Message
	for _, m := range ms {
		if !m.SendAt.After(until) || m.Status == store.Skipped {
			kept = append(kept, m)
		}
	}
	why, err := whyMissing(ctx, st, sub, sc.Expect.Journeys, js)
	if err != nil {
		return nil, err
	}
	return &outcome{messages: kept, journeys: js, why: why}, nil
}

// only narrows a workspace to the named flows.
func only(ws *dsl.Workspace, ids []string) (*dsl.Workspace, error) {
	if len(ids) == 0 {
		return ws, nil
	}
	sub := *ws
	sub.Flows = nil
	for _, id := range ids {
		f := ws.FlowByID(id)
		if f == nil {
			return nil, fmt.Errorf("flow %s is not in the workspace (or has errors: run afterglow validate)", id)
		}
		sub.Flows = append(sub.Flows, f)
	}
	sort.Slice(sub.Flows, func(i, j int) bool { return sub.Flows[i].ID < sub.Flows[j].ID })
	return &sub, nil
}

// text is everything a message's `contains` looks in.
func text(m *store.Message) string {
	c := m.Content
	parts := []string{c.Subject, c.Text, c.HTML, c.Title, c.Body, c.URL, c.TemplateName, strings.Join(c.Params, "\n")}
	if c.Payload != nil {
		parts = append(parts, fmt.Sprint(c.Payload))
	}
	return strings.Join(parts, "\n")
}

// firstLine is how a message is shown in one line.
func firstLine(m *store.Message) string { return sim.OneLine(m) }
