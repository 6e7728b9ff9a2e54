package enginetest

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
)

type eventT = event.Event

type storeT = store.Store

func jsonNum(s string) json.Number { return json.Number(s) }

func itoa(i int) string { return strconv.Itoa(i) }

func journeyFilter(customer string) store.JourneyFilter {
	return store.JourneyFilter{CustomerID: customer}
}

func engineFlowSet(ws *dsl.Workspace) *engine.FlowSet { return engine.NewFlowSet(ws) }

// restart builds a new engine over the same store and clock, as a restarted process would.
func restart(r *Run, ws *dsl.Workspace) *Run {
	eng := engine.New(r.Store, engine.NewFlowSet(ws), engine.Options{Clock: r.Clock, Logger: zerolog.Nop(), BatchSize: 50, EventTime: eventTime})
	if err := eng.SaveVersions(r.Ctx, eng.Flows()); err != nil {
		r.T.Fatal(err)
	}
	return &Run{T: r.T, Ctx: r.Ctx, Store: r.Store, Clock: r.Clock, Engine: eng, Driver: &sim.Driver{Engine: eng, Clock: r.Clock}}
}

func subjectsOf(r *Run) []string {
	var out []string
	for _, m := range r.Messages() {
		out = append(out, off(m.SendAt)+" "+m.CustomerID+" "+m.Content.Subject)
	}
	return out
}

func newClock() *clock.Virtual { return clock.NewVirtual(T0) }

func ctxBG() context.Context { return context.Background() }
