package enginetest

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
)

// A journey renders with the templates of the version it entered with: a template edited after
// it entered, or deleted, leaves its text as it was, in this engine and in a restarted one that
// reads the version back from the store.
func testTemplatesStayWithTheirVersion(t *testing.T, ns NewStore) {
	flow := `
flow: series
trigger: {event: customer.created}
steps:
  - {id: pause, wait: 2d}
  - {id: note, send: {channel: email, category: transactional, template: note}}
`
	note := func(text string) string {
		return "template: note\nchannel: email\ndefault_locale: en\nlocales:\n  en: {subject: \"" + text + "\", text: \"" + text + "\"}\n"
	}
	ws1 := Workspace(t, "", map[string]string{"flows/series.yaml": flow, "templates/note.yaml": note("Note one")})
	ws2 := Workspace(t, "", map[string]string{"flows/series.yaml": flow, "templates/note.yaml": note("Note two")})
	// The template is gone: the flow carries its text inline now.
	ws3 := Workspace(t, "", map[string]string{"flows/series.yaml": strings.Replace(flow, "template: note", "content: "+mail("Inline"), 1)})
	if ws1.Flows[0].Version == ws2.Flows[0].Version {
		t.Fatal("editing a template leaves the flow's version as it was")
	}
	r := Start(t, ns, ws1)
	r.Play(day, Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com"}))
	if err := r.Engine.SetFlows(r.Ctx, engineFlowSet(ws2)); err != nil {
		t.Fatal(err)
	}
	r.Play(2*day, Ev(day, "customer.created", "bea", map[string]any{"email": "b@example.com"}))
	r2 := restart(r, ws3)
	r2.Play(10*day, Ev(2*day, "customer.created", "cara", map[string]any{"email": "c@example.com"}))
	Equal(t, "each renders the text of the version it entered with", subjectsOf(r2),
		[]string{"2d ana Note one", "3d bea Note two", "4d cara Inline"})
}

// A journey whose version cannot run any more (here it reads an attribute the customer schema no
// longer declares) ends, exited with the reason, counted and logged: it does not wait for ever.
func testAJourneyWhoseVersionCannotRunEnds(t *testing.T, ns NewStore) {
	flow := `
flow: vip
trigger: {event: customer.created}
steps:
  - {id: pause, wait: 2d}
  - id: check
    if: customer.shoe_size > 40
    then: [{id: big, send: {channel: email, category: transactional, content: ` + mail("Big") + `}}]
`
	ws1 := Workspace(t, "", map[string]string{"flows/vip.yaml": flow})
	ws2 := Workspace(t, "customer_schema: schemas/customer.schema.json\n", map[string]string{
		"flows/vip.yaml":               strings.Replace(flow, "customer.shoe_size > 40", "true", 1),
		"schemas/customer.schema.json": `{"type": "object", "properties": {"tier": {"type": "string"}}}`,
	})
	r := Start(t, ns, ws1)
	r.Play(day, Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com", "shoe_size": 42}))
	r2 := restart(r, ws2)
	r2.Play(5*day, Ev(3*day, "customer.updated", "ana", map[string]any{"first_name": "Ana"}))
	js, err := r2.Store.Journeys(r2.Ctx, store.JourneyFilter{CustomerID: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Status != store.Exited || !strings.Contains(js[0].Reason, "flow version "+ws1.Flows[0].Version+" cannot run: it no longer compiles") ||
		!strings.Contains(js[0].Reason, "shoe_size") {
		for _, j := range js {
			t.Logf("%s %s %q", j.FlowID, j.Status, j.Reason)
		}
		t.Fatal("want the journey exited, its reason naming the version and why it cannot run")
	}
	if n := r2.Engine.Stats.Unrunnable()["vip"]; n != 1 {
		t.Errorf("counted %d journeys that could not run, want 1", n)
	}
	if ms := r2.Messages(); len(ms) != 0 {
		t.Errorf("%d messages; want none", len(ms))
	}
}
