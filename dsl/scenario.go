package dsl

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/schemas"
	"gopkg.in/yaml.v3"
)

// Scenario is a scenario test (*.test.yaml): customers and events on a virtual clock, and what
// must come out.
type Scenario struct {
	File      string
	Name      string
	Workspace string // the settings file of the workspace under test
	Flows     []string
	Start     time.Time
	Customers []ScenarioCustomer
	Events    []ScenarioEvent
	Until     time.Duration
	Expect    Expectations
}

// ScenarioCustomer is a customer that exists when the clock starts.
type ScenarioCustomer struct {
	ID    string
	Attrs map[string]any
}

// ScenarioEvent is an event sent at a moment of the virtual clock.
type ScenarioEvent struct {
	At       time.Time
	Type     string
	Customer string
	ID       string
	Data     map[string]any
	Line     int
}

// Expectations are what the run must produce.
type Expectations struct {
	Only     bool
	Messages []ExpectMessage
	Skipped  []ExpectSkip
	Journeys []ExpectJourney
}

// ExpectMessage matches a message; an empty field matches anything.
type ExpectMessage struct {
	At                                      *time.Time
	Customer, Flow, Step, Channel, Contains string
	Line                                    int
}

// ExpectSkip matches a message a policy or the holdout kept back.
type ExpectSkip struct {
	Customer, Flow, Step, Channel, Reason string
	Line                                  int
}

// ExpectJourney matches a journey of a customer in a flow, in the order they entered.
type ExpectJourney struct {
	Customer, Flow, Status, Step string
	Holdout                      *bool
	Line                         int
}

// ParseScenario reads a scenario test. settingsOf finds the workspace for a test (loaded once
// per workspace by the caller); it may return nil when there is none.
func ParseScenario(file string, src []byte, l *diag.List, settingsOf func(settingsFile string) *Workspace) (*Scenario, *Workspace) {
	root, ok := yamlnode.Parse(file, src, l)
	if !ok {
		return nil, nil
	}
	if c, err := checker(schemas.Test); err != nil {
		l.Errorf(diag.Pos{File: file}, "internal", "%v", err)
	} else {
		c.Check(file, root, l)
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil
	}
	d := &decoder{file: file, src: src, l: l}
	sc := &Scenario{File: file, Expect: Expectations{Only: true}}
	sc.Name, _ = d.str(root, "name")
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(file), ".test.yaml")
	}
	ws, wsNode := d.str(root, "workspace")
	if ws != "" {
		dir := filepath.Join(filepath.Dir(file), ws)
		sc.Workspace = FindSettings(dir)
		if sc.Workspace == "" || filepath.Dir(sc.Workspace) != mustAbs(dir) {
			d.errorf(wsNode, "file-missing", "no afterglow.yaml in %s", ws)
			sc.Workspace = ""
		}
	} else {
		sc.Workspace = FindSettings(file)
		if sc.Workspace == "" {
			l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "file-missing", "no afterglow.yaml above this test: add `workspace:` with the folder of the workspace it tests")
		}
	}
	var w *Workspace
	if sc.Workspace != "" && settingsOf != nil {
		w = settingsOf(sc.Workspace)
	}
	if _, fl := yamlnode.Get(root, "flows"); fl != nil {
		for _, it := range yamlnode.Items(fl) {
			if !yamlnode.IsScalar(it) {
				continue
			}
			sc.Flows = append(sc.Flows, it.Value)
			d.flowRef(it, w)
		}
	}
	start, sn := d.str(root, "start")
	if start != "" {
		t, err := time.Parse(time.RFC3339, start)
		if err != nil {
			d.errorf(sn, "invalid-value", "start %q is not a moment: write it in RFC 3339 with its offset, like 2025-10-14T15:00:00-05:00", start)
		}
		sc.Start = t
	}
	if u, un := d.str(root, "until"); u != "" {
		v, err := timespec.ParseCompound(u)
		if err != nil {
			d.errorf(un, "duration", "%v", err)
		}
		sc.Until = v
	}
	customers := map[string]bool{}
	if _, cs := yamlnode.Get(root, "customers"); cs != nil {
		for _, p := range yamlnode.Pairs(cs) {
			attrs, _ := yamlnode.JSONValue(p.Value).(map[string]any)
			if attrs == nil {
				attrs = map[string]any{}
			}
			sc.Customers = append(sc.Customers, ScenarioCustomer{ID: p.Key.Value, Attrs: attrs})
			customers[p.Key.Value] = true
		}
	}
	known := func() []string {
		var out []string
		for _, c := range sc.Customers {
			out = append(out, c.ID)
		}
		return out
	}
	checkCustomer := func(n *yaml.Node) {
		if n == nil || customers[n.Value] {
			return
		}
		if near := diag.Closest(n.Value, known()); near != "" {
			d.warnf(n, "customer-unknown", "customer %q is not under customers (did you mean %q?)", n.Value, near)
		}
	}
	events := catalog.Canonical()
	if w != nil && w.Events != nil {
		events = w.Events
	}
	if _, evs := yamlnode.Get(root, "events"); evs != nil {
		for _, it := range yamlnode.Items(evs) {
			e := ScenarioEvent{Line: it.Line}
			at, an := d.str(it, "at")
			e.At = d.moment(sc.Start, at, an)
			var tn, cn *yaml.Node
			e.Type, tn = d.str(it, "type")
			d.eventType(tn, events.Types())
			e.Customer, cn = d.str(it, "customer")
			checkCustomer(cn)
			e.ID, _ = d.str(it, "id")
			_, dn := yamlnode.Get(it, "data")
			e.Data, _ = yamlnode.JSONValue(dn).(map[string]any)
			d.eventData(events, e.Type, e.Data, tn, dn)
			sc.Events = append(sc.Events, e)
		}
	}
	if _, ex := yamlnode.Get(root, "expect"); ex != nil {
		d.expectations(ex, sc, w, checkCustomer)
	}
	return sc, w
}

// eventData checks an event's data against its type in the catalog, as ingest will, and reports
// each problem at the value it concerns (a missing field at the data it is missing from).
func (d *decoder) eventData(events *catalog.Catalog, typ string, data map[string]any, tn, dn *yaml.Node) {
	t := events.Lookup(typ)
	if t == nil {
		return
	}
	var ix *yamlnode.Index
	for _, p := range t.CheckData(data) {
		at := tn
		if dn != nil {
			if ix == nil {
				ix = yamlnode.NewIndex(dn)
			}
			at = ix.Value(fieldPointer(p.Field))
		}
		d.errorf(at, "event-data", "%s %s", p.Field, p.Message)
	}
}

// fieldPointer turns a field path of the catalog's messages (data.items[0].price) into a pointer
// into the data (/items/0/price).
func fieldPointer(field string) string {
	rest := strings.TrimPrefix(field, "data")
	var b strings.Builder
	for rest != "" {
		switch {
		case rest[0] == '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			b.WriteString("/" + rest[1:1+end])
			rest = rest[1+end:]
		case strings.HasPrefix(rest, "[\""):
			name, after, _ := strings.Cut(rest[1:], "]")
			if u, err := strconv.Unquote(name); err == nil {
				name = u
			}
			b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(name))
			rest = after
		case rest[0] == '[':
			idx, after, _ := strings.Cut(rest[1:], "]")
			b.WriteString("/" + idx)
			rest = after
		default:
			return b.String()
		}
	}
	return b.String()
}

func mustAbs(p string) string {
	a, _ := filepath.Abs(p)
	return a
}

// moment reads an offset from start (0s, 2d12h) or an RFC 3339 time.
func (d *decoder) moment(start time.Time, s string, n *yaml.Node) time.Time {
	if s == "" {
		return start
	}
	if strings.Contains(s, "T") {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			d.errorf(n, "invalid-value", "%q is neither an offset (2d12h) nor an RFC 3339 time", s)
		}
		return t
	}
	off, err := timespec.ParseCompound(s)
	if err != nil {
		d.errorf(n, "duration", "%v", err)
	}
	return start.Add(off)
}

func (d *decoder) flowRef(n *yaml.Node, w *Workspace) *Flow {
	if w == nil || n == nil {
		return nil
	}
	f := w.FlowByID(n.Value)
	if f == nil {
		if b := w.Broken[n.Value]; b != nil {
			return b // its own file reports what is wrong with it; the test's references still hold
		}
		var ids []string
		for _, f := range w.Flows {
			ids = append(ids, f.ID)
		}
		for id := range w.Broken {
			ids = append(ids, id)
		}
		d.errorf(n, "flow-unknown", "no flow %q in the workspace%s", n.Value, diag.DidYouMean(n.Value, ids))
	}
	return f
}

func (d *decoder) expectations(ex *yaml.Node, sc *Scenario, w *Workspace, checkCustomer func(*yaml.Node)) {
	sc.Expect.Only = d.boolean(ex, "only", true)
	stepRef := func(it *yaml.Node, f *Flow) {
		s, sn := d.str(it, "step")
		if s == "" {
			return
		}
		var flows []*Flow
		if f != nil {
			flows = []*Flow{f}
		} else if w != nil {
			flows = w.Flows
			for _, b := range w.Broken {
				flows = append(flows, b)
			}
		}
		var ids []string
		for _, fl := range flows {
			if fl.Index[s] != nil {
				return
			}
			for id := range fl.Index {
				ids = append(ids, id)
			}
		}
		switch {
		case f != nil:
			d.errorf(sn, "step-unknown", "flow %s has no step %q%s", f.ID, s, diag.DidYouMean(s, ids))
		case w != nil:
			d.errorf(sn, "step-unknown", "no flow has a step %q%s", s, diag.DidYouMean(s, ids))
		}
	}
	refs := func(it *yaml.Node) (customer, flow, step, channel string) {
		var cn, fn *yaml.Node
		customer, cn = d.str(it, "customer")
		checkCustomer(cn)
		flow, fn = d.str(it, "flow")
		f := d.flowRef(fn, w)
		stepRef(it, f)
		step, _ = d.str(it, "step")
		var chn *yaml.Node
		channel, chn = d.str(it, "channel")
		if w != nil && channel != "" && w.Settings.Channels[channel] == nil {
			d.errorf(chn, "channel-unknown", "unknown channel %q%s", channel, diag.DidYouMean(channel, w.Settings.ChannelNames()))
		}
		return
	}
	if _, ms := yamlnode.Get(ex, "messages"); ms != nil {
		for _, it := range yamlnode.Items(ms) {
			m := ExpectMessage{Line: it.Line}
			m.Customer, m.Flow, m.Step, m.Channel = refs(it)
			m.Contains, _ = d.str(it, "contains")
			if at, an := d.str(it, "at"); at != "" {
				t := d.moment(sc.Start, at, an)
				m.At = &t
			}
			sc.Expect.Messages = append(sc.Expect.Messages, m)
		}
	}
	if _, ss := yamlnode.Get(ex, "skipped"); ss != nil {
		for _, it := range yamlnode.Items(ss) {
			s := ExpectSkip{Line: it.Line}
			s.Customer, s.Flow, s.Step, s.Channel = refs(it)
			s.Reason, _ = d.str(it, "reason")
			sc.Expect.Skipped = append(sc.Expect.Skipped, s)
		}
	}
	if _, js := yamlnode.Get(ex, "journeys"); js != nil {
		for _, it := range yamlnode.Items(js) {
			j := ExpectJourney{Line: it.Line}
			j.Customer, j.Flow, j.Step, _ = refs(it)
			j.Status, _ = d.str(it, "status")
			if k, hv := yamlnode.Get(it, "holdout"); k != nil && hv.ShortTag() == "!!bool" {
				b := hv.Value == "true"
				j.Holdout = &b
			}
			sc.Expect.Journeys = append(sc.Expect.Journeys, j)
		}
	}
}
