// Package enginetest is the engine's behaviour suite: every step kind, entry rule, exit, goal,
// holdout and contact policy, run through the real engine on a virtual clock. It takes the store
// as a parameter, so the same suite runs on memory and on PostgreSQL.
package enginetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all" // settings name connectors
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sim"
	_ "github.com/afterglowhq/afterglow/sources/all" // settings name sources
	"github.com/rs/zerolog"
)

// NewStore returns an empty store for one test; the test closes it.
type NewStore func(t *testing.T) store.Store

// T0 is the start of every test's clock: a Tuesday, 10:00 in Lima.
var T0 = time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)

const settings = `
flows: [flows]
templates: [templates]
timezone: America/Lima
secret: engine-test
channels:
  email: {connector: console}
  sms: {connector: console}
  push: {connector: console}
  crm: {connector: console, shape: webhook}
`

// Workspace writes a workspace to a temporary folder and loads it; it fails the test on any
// validation error, so a test always runs the flow it means.
func Workspace(t *testing.T, extraSettings string, files map[string]string) *dsl.Workspace {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.TrimLeft(body, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("afterglow.yaml", settings+extraSettings)
	os.MkdirAll(filepath.Join(dir, "flows"), 0o755)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	for name, body := range files {
		write(name, body)
	}
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	for _, d := range l.Items() {
		if d.Severity == diag.Error {
			t.Fatalf("workspace does not validate: %s", d)
		}
	}
	return ws
}

// Run is one engine on a virtual clock over a store.
type Run struct {
	T      *testing.T
	Ctx    context.Context
	Store  store.Store
	Clock  *clock.Virtual
	Engine *engine.Engine
	Driver *sim.Driver
}

// Start builds an engine for ws on a fresh store with the clock at T0.
func Start(t *testing.T, newStore NewStore, ws *dsl.Workspace) *Run {
	t.Helper()
	st := newStore(t)
	clk := clock.NewVirtual(T0)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), BatchSize: 50, EventTime: eventTime,
		Unsubscribe: func(c, ch, m string) string { return "https://shop.test/u/" + m }})
	ctx := context.Background()
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		t.Fatal(err)
	}
	return &Run{T: t, Ctx: ctx, Store: st, Clock: clk, Engine: eng, Driver: &sim.Driver{Engine: eng, Clock: clk}}
}

// Customer creates a customer with attributes, without running flows.
func (r *Run) Customer(id string, attrs map[string]any) {
	r.T.Helper()
	if err := r.Engine.PutCustomer(r.Ctx, id, attrs); err != nil {
		r.T.Fatal(err)
	}
}

var evSeq atomic.Int64

// Ev builds an event at an offset from T0, with an id of its own.
func Ev(at time.Duration, typ, customer string, data map[string]any) event.Event {
	return event.Event{SpecVersion: "1.0", ID: fmt.Sprintf("%s/%s/%d", typ, customer, evSeq.Add(1)), Source: "test", Type: typ,
		Subject: customer, Time: T0.Add(at), Data: data}
}

// Play runs the events and everything due until T0+until.
func (r *Run) Play(until time.Duration, evs ...event.Event) {
	r.T.Helper()
	if err := r.Driver.Run(r.Ctx, evs, T0.Add(until)); err != nil {
		r.T.Fatal(err)
	}
}

// Messages returns every message, in send order, then by customer and step.
func (r *Run) Messages() []*store.Message {
	r.T.Helper()
	ms, err := r.Store.Messages(r.Ctx, store.MessageFilter{})
	if err != nil {
		r.T.Fatal(err)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if !a.SendAt.Equal(b.SendAt) {
			return a.SendAt.Before(b.SendAt)
		}
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		return a.StepID < b.StepID
	})
	return ms
}

// Sent returns the messages that were not skipped, as "offset customer flow/step" lines.
func (r *Run) Sent() []string {
	var out []string
	for _, m := range r.Messages() {
		if m.Status != store.Skipped {
			out = append(out, line(m))
		}
	}
	return out
}

// Skipped returns the skipped messages as "customer flow/step reason" lines.
func (r *Run) Skipped() []string {
	var out []string
	for _, m := range r.Messages() {
		if m.Status == store.Skipped {
			out = append(out, m.CustomerID+" "+m.FlowID+"/"+m.StepID+" "+m.Reason)
		}
	}
	return out
}

func line(m *store.Message) string {
	return off(m.SendAt) + " " + m.CustomerID + " " + m.FlowID + "/" + m.StepID
}

func off(t time.Time) string {
	d := t.Sub(T0)
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// Journeys returns a customer's journeys in entry order as "flow status step" lines.
func (r *Run) Journeys(customer string) []string {
	r.T.Helper()
	js, err := r.Store.Journeys(r.Ctx, store.JourneyFilter{CustomerID: customer})
	if err != nil {
		r.T.Fatal(err)
	}
	sort.SliceStable(js, func(i, k int) bool {
		if !js[i].EnteredAt.Equal(js[k].EnteredAt) {
			return js[i].EnteredAt.Before(js[k].EnteredAt)
		}
		if js[i].FlowID != js[k].FlowID {
			return js[i].FlowID < js[k].FlowID
		}
		return js[i].Key < js[k].Key
	})
	var out []string
	for _, j := range js {
		out = append(out, j.FlowID+" "+j.Status+" "+j.StepID)
	}
	return out
}

// Attr returns a stored customer attribute.
func (r *Run) Attr(customer, name string) any {
	r.T.Helper()
	c, err := r.Store.Customer(r.Ctx, customer)
	if err != nil {
		r.T.Fatal(err)
	}
	return c.Attrs[name]
}

// Equal fails the test when got and want differ, showing both one item a line.
func Equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n  %s\n want:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
