package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// TestIngestRefusesDataThatDoesNotFit: one event whose data does not fit its type (a canonical
// one, or the workspace's own) refuses the batch with every problem, and nothing of it is stored.
func TestIngestRefusesDataThatDoesNotFit(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"afterglow.yaml":                    "channels:\n  email: {connector: console}\nevents: [events]\n",
		"flows/.keep":                       "",
		"templates/.keep":                   "",
		"events/quiz.completed.schema.json": `{"required": ["skin_type"], "properties": {"skin_type": {"type": "string"}}}`,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	st := memstore.New()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop()})
	ev := func(id, typ string, data map[string]any) event.Event {
		return event.Event{SpecVersion: "1.0", ID: id, Source: "t", Type: typ, Subject: "ana", Time: time.Now(), Data: data}
	}
	batch := []event.Event{
		ev("1", "customer.updated", map[string]any{"first_name": "Ana"}),
		ev("2", "order.placed", map[string]any{"order_id": "1", "total": "abc", "currency": "PEN"}),
		ev("3", "quiz.completed", map[string]any{"concerns": []any{"pores"}}),
	}
	_, err := eng.Ingest(context.Background(), batch)
	var inv *event.Refused
	if !errors.As(err, &inv) || len(inv.Problems) != 2 {
		t.Fatalf("Ingest = %v, want two problems", err)
	}
	if p := inv.Problems[0]; p.Index != 1 || p.Field != "data.total" {
		t.Errorf("first problem %+v, want event 1's data.total", p)
	}
	if p := inv.Problems[1]; p.Index != 2 || p.Field != "data.skin_type" {
		t.Errorf("second problem %+v, want event 2's data.skin_type", p)
	}
	if e, _ := st.Event(context.Background(), "ana", "1"); e != nil {
		t.Error("the batch's good event was stored")
	}
	if c, _ := st.Customer(context.Background(), "ana"); c != nil {
		t.Error("the batch's customer was created")
	}
	batch[1].Data["total"] = "12.50"
	batch[2].Data["skin_type"] = "dry"
	if res, err := eng.Ingest(context.Background(), batch); err != nil || res.Stored != 3 {
		t.Fatalf("the fixed batch: %+v, %v", res, err)
	}
}

// TestMoneySentAsTextComparesAsANumber: the catalog types money as a decimal, so a total sent as
// the text "59.90" is the number 59.9 in conditions, as validate assumed when it checked them; an
// id sent as a number equals the same id sent as text.
func TestMoneySentAsTextComparesAsANumber(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"afterglow.yaml":  "channels:\n  email: {connector: console}\n",
		"templates/.keep": "",
		"flows/big.yaml": `flow: big
trigger: {event: order.placed, when: 'event.data.total > 50'}
steps:
  - id: delivered
    wait_for: {event: order.delivered, when: 'event.data.order_id == trigger.data.order_id', timeout: 5d}
  - {id: done, exit: {reason: "delivered: {{ steps.delivered.event.data.order_id }}"}}
`,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	var l diag.List
	ws := dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() {
		t.Fatal(l.Items())
	}
	st := memstore.New()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop()})
	now := time.Now()
	ev := func(id, typ, who string, data map[string]any) event.Event {
		return event.Event{SpecVersion: "1.0", ID: id, Source: "t", Type: typ, Subject: who, Time: now, Data: data}
	}
	if _, err := eng.Ingest(context.Background(), []event.Event{
		ev("1", "order.placed", "ana", map[string]any{"order_id": json.Number("1001"), "total": "59.90", "currency": "PEN"}),
		ev("2", "order.placed", "bea", map[string]any{"order_id": "1002", "total": "40.00", "currency": "PEN"}),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Ingest(context.Background(), []event.Event{ev("3", "order.delivered", "ana", map[string]any{"order_id": "1001"})}); err != nil {
		t.Fatal(err)
	}
	js, err := st.Journeys(context.Background(), store.JourneyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].CustomerID != "ana" || js[0].Status != "exited" {
		var got []string
		for _, j := range js {
			got = append(got, j.CustomerID+" "+j.Status)
		}
		t.Fatalf("journeys %v; want ana's alone (59.90 > 50, 40.00 is not), ended once her order 1001 (sent as a number) was delivered as \"1001\"", got)
	}
}
