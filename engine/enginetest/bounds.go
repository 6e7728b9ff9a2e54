package enginetest

import (
	"strings"
	"testing"
)

// A template or an expression that goes past its bounds on one customer's data fails that
// message with the bound in its reason, in a moment; the journey goes on, and the next events
// are processed as usual.
func testBoundsFailTheMessageNotTheEngine(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/hostile.yaml": `
flow: hostile
trigger: {event: hostile.sent}
entry: {key: event.id}
steps:
  - id: loop
    send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Hi", text: "{% for i in (1..trigger.data.n) %}x{% endfor %}"}}}}
  - id: doubled
    send:
      channel: email
      category: transactional
      content: ` + mail("{{ data.s | size }}") + `
      data: {s: 'reduce(trigger.data.items, #acc + #acc, "x")'}
  - id: good
    send: {channel: email, category: transactional, content: ` + mail("Still here") + `}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Customer("eva", map[string]any{"email": "e@example.com"})
	items := make([]any, 40)
	for i := range items {
		items[i] = i
	}
	r.Play(day,
		// A type without a schema: its data is whatever the sender put in it, as hostile as it likes.
		Ev(0, "hostile.sent", "ana", map[string]any{"n": 100_000_000, "items": items}),
		Ev(0, "hostile.sent", "eva", map[string]any{"n": 3, "items": items[:3]}),
	)
	got := map[string]string{}
	for _, m := range r.Messages() {
		got[m.CustomerID+" "+m.StepID] = m.Status + " " + m.Reason
	}
	want := map[string]string{
		// Its loops run past their steps, or, on a machine slow enough, past their time.
		"ana loop":    "failed render: text: rendering went past its limits: ",
		"ana doubled": "failed render: data.s: the expression went past its limits: it builds more than 1024 KiB",
		"ana good":    "pending",
		"eva loop":    "pending",
		"eva doubled": "pending",
		"eva good":    "pending",
	}
	for k, w := range want {
		if !strings.HasPrefix(got[k], w) {
			t.Errorf("%s: %q, want %q...", k, got[k], w)
		}
	}
	Equal(t, "journeys", append(r.Journeys("ana"), r.Journeys("eva")...), []string{"hostile completed good", "hostile completed good"})
}
