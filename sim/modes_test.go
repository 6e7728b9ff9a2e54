package sim

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/rs/zerolog"
)

// runShop runs the example shop's weeks and returns every message as a line.
func runShop(t *testing.T, eventTime bool, batchEvents, batchCustomers int) []string {
	t.Helper()
	var l diag.List
	ws := dsl.LoadWorkspace("../examples/shop/afterglow.yaml", nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	f, err := os.Open("../examples/shop/events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event.Event
	if err := event.ReadNDJSON(f, func(_ int, e event.Event) error { evs = append(evs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	start, until := evs[0].Time, evs[0].Time
	for _, e := range evs {
		if e.Time.Before(start) {
			start = e.Time
		}
		if e.Time.After(until) {
			until = e.Time
		}
	}
	until = until.Add(60 * 24 * time.Hour)
	st := memstore.New()
	clk := clock.NewVirtual(start)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), EventTime: eventTime, BatchSize: batchCustomers})
	ctx := context.Background()
	if err := (&Driver{Engine: eng, Clock: clk, BatchEvents: batchEvents}).Run(ctx, evs, until); err != nil {
		t.Fatal(err)
	}
	ms, _ := st.Messages(ctx, store.MessageFilter{})
	var out []string
	for _, m := range ms {
		out = append(out, m.SendAt.UTC().Format(time.RFC3339)+" "+m.CustomerID+" "+m.FlowID+"/"+m.StepID+" "+m.Status+" "+m.Reason+" "+m.Content.Subject)
	}
	sort.Strings(out)
	return out
}

// The simulation runs many moments per transaction; it must give exactly what living through each
// moment gives.
func TestEventTimeMatchesMomentByMoment(t *testing.T) {
	slow := runShop(t, false, 1, 500)
	if len(slow) < 500 {
		t.Fatalf("only %d messages: the example shop should be busier", len(slow))
	}
	for _, size := range [][2]int{{50, 7}, {1000, 500}} {
		fast := runShop(t, true, size[0], size[1])
		if strings.Join(slow, "\n") == strings.Join(fast, "\n") {
			continue
		}
		i := 0
		for i < len(slow) && i < len(fast) && slow[i] == fast[i] {
			i++
		}
		t.Errorf("chunks of %d events: %d messages moment by moment, %d in event time; first difference at %d:\n moments:    %s\n event time: %s",
			size[0], len(slow), len(fast), i, at(slow, i), at(fast, i))
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// Splitting the customers over shards gives exactly what one engine gives.
func TestShardsMatchOneEngine(t *testing.T) {
	one := runShop(t, true, 1000, 500)
	var l diag.List
	ws := dsl.LoadWorkspace("../examples/shop/afterglow.yaml", nil, &l)
	f, err := os.Open("../examples/shop/events.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event.Event
	if err := event.ReadNDJSON(f, func(_ int, e event.Event) error { evs = append(evs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	start, until := evs[0].Time, evs[0].Time
	for _, e := range evs {
		if e.Time.Before(start) {
			start = e.Time
		}
		if e.Time.After(until) {
			until = e.Time
		}
	}
	until = until.Add(60 * 24 * time.Hour)
	ctx := context.Background()
	shards := make([]Shard, 3)
	for i := range shards {
		clk := clock.NewVirtual(start)
		st := memstore.NewLean()
		eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), EventTime: true})
		shards[i] = Shard{Engine: eng, Clock: clk, Store: st}
	}
	if err := RunSharded(ctx, shards, evs, until, nil); err != nil {
		t.Fatal(err)
	}
	ms, err := Messages(ctx, shards)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.SendAt.UTC().Format(time.RFC3339)+" "+m.CustomerID+" "+m.FlowID+"/"+m.StepID+" "+m.Status+" "+m.Reason+" "+m.Content.Subject)
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(one, "\n") {
		t.Fatalf("three shards gave %d messages, one engine %d", len(got), len(one))
	}
}
