package enginetest

import (
	"testing"
	"time"
)

const day = 24 * time.Hour

// mail is an inline email content block for flows in tests.
func mail(subject string) string {
	return `{default_locale: en, locales: {en: {subject: "` + subject + `", text: "` + subject + ` {{ customer.first_name }}"}}}`
}

func testSendWaitComplete(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/thanks.yaml": `
flow: thanks
trigger: {event: order.placed}
steps:
  - {id: hello, send: {channel: email, category: transactional, content: ` + mail("Thanks") + `}}
  - {id: pause, wait: 3d}
  - {id: later, send: {channel: email, category: transactional, content: ` + mail("How is it") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "ana@example.com", "first_name": "Ana"})
	r.Play(2*day, Ev(0, "order.placed", "ana", order("1", "10.00")))
	Equal(t, "messages after 2 days", r.Sent(), []string{"0d ana thanks/hello"})
	Equal(t, "journey waiting", r.Journeys("ana"), []string{"thanks active pause"})
	r.Play(10 * day)
	Equal(t, "messages", r.Sent(), []string{"0d ana thanks/hello", "3d ana thanks/later"})
	Equal(t, "journey", r.Journeys("ana"), []string{"thanks completed later"})
	if m := r.Messages()[0]; m.Content.Text != "Thanks Ana" || m.Content.Subject != "Thanks" {
		t.Errorf("rendered content = %+v", m.Content)
	}
}

func order(id, total string) map[string]any {
	return map[string]any{"order_id": id, "total": jsonNum(total), "currency": "PEN"}
}

func testWaitUntil(t *testing.T, ns NewStore) {
	// T0 is Tuesday 2025-10-14 10:00 in Lima and 17:00 in Rome.
	ws := Workspace(t, "", map[string]string{"flows/weekly.yaml": `
flow: weekly
trigger: {event: order.placed}
steps:
  - id: monday-morning
    wait_until: {time: trigger.time, offset: 1d, at: "09:30", days: [mon]}
  - {id: tip, send: {channel: email, category: transactional, content: ` + mail("Tip") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("lima", map[string]any{"email": "l@example.com", "timezone": "America/Lima"})
	r.Customer("rome", map[string]any{"email": "r@example.com", "timezone": "Europe/Rome"})
	r.Play(30*day, Ev(0, "order.placed", "lima", order("1", "5")), Ev(0, "order.placed", "rome", order("2", "5")))
	ms := r.Messages()
	if len(ms) != 2 {
		t.Fatalf("messages: %v", r.Sent())
	}
	want := map[string]string{
		"lima": "2025-10-20T09:30:00-05:00", // the next Monday after Wednesday, 09:30 in Lima
		"rome": "2025-10-20T09:30:00+02:00", // 09:30 in Rome, still summer time
	}
	for _, m := range ms {
		w, _ := time.Parse(time.RFC3339, want[m.CustomerID])
		if !m.SendAt.Equal(w) {
			t.Errorf("%s: tip at %s, want %s", m.CustomerID, m.SendAt.In(w.Location()), w)
		}
	}
}

func testWaitForArrivesOrTimesOut(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/nps.yaml": `
flow: nps
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - id: delivered
    wait_for: {event: order.delivered, when: event.data.order_id == trigger.data.order_id, timeout: 10d}
  - id: check
    if: steps.delivered.timed_out
    then:
      - {id: sorry, send: {channel: email, category: transactional, content: ` + mail("Sorry it is late") + `}}
    else:
      - {id: settle, wait: 3d}
      - {id: survey, send: {channel: email, category: transactional, content: ` + mail("Survey {{ steps.delivered.event.data.order_id }}") + `}}
`, "flows/strict.yaml": `
flow: strict
trigger: {event: order.placed}
steps:
  - {id: delivered, wait_for: {event: order.delivered, timeout: 2d, on_timeout: exit}}
  - {id: after, send: {channel: email, category: transactional, content: ` + mail("Delivered") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(40*day,
		Ev(0, "order.placed", "ana", order("1", "5")),
		Ev(time.Hour, "order.placed", "ana", order("2", "5")),
		Ev(4*day, "order.delivered", "ana", map[string]any{"order_id": "2"}),
		Ev(4*day+time.Minute, "order.delivered", "ana", map[string]any{"order_id": "9"}),
	)
	Equal(t, "messages", r.Sent(), []string{"7d ana nps/survey", "10d ana nps/sorry"})
	Equal(t, "journeys", r.Journeys("ana"), []string{"nps completed sorry", "strict exited delivered", "nps completed survey"})
	for _, m := range r.Messages() {
		if m.StepID == "survey" && m.Content.Subject != "Survey 2" {
			t.Errorf("the survey should name the delivered order from steps.delivered.event: %q", m.Content.Subject)
		}
	}
}

func testSplitIsStableAndWeighted(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/ab.yaml": `
flow: ab
trigger: {event: customer.created}
steps:
  - id: pick
    split:
      variants:
        - {name: a, weight: 3, steps: [{id: send-a, send: {channel: email, category: transactional, content: ` + mail("A") + `}}]}
        - {name: b, weight: 1, steps: [{id: send-b, send: {channel: email, category: transactional, content: ` + mail("B {{ steps.pick.variant }}") + `}}]}
  - {id: both, update: {set: {variant: steps.pick.variant}}}
`})
	r := Start(t, ns, ws)
	n := 400
	events := make([]eventT, 0, n)
	for i := range n {
		id := "c" + itoa(i)
		events = append(events, Ev(0, "customer.created", id, map[string]any{"email": id + "@example.com"}))
	}
	r.Play(day, events...)
	a, b := 0, 0
	for _, m := range r.Messages() {
		switch m.StepID {
		case "send-a":
			a++
		case "send-b":
			b++
			if m.Content.Subject != "B b" {
				t.Errorf("steps.pick.variant in the template = %q", m.Content.Subject)
			}
		}
		if v := r.Attr(m.CustomerID, "variant"); v != map[string]string{"send-a": "a", "send-b": "b"}[m.StepID] {
			t.Errorf("%s got %s but variant attribute %v", m.CustomerID, m.StepID, v)
		}
	}
	if a+b != n || a < 260 || a > 340 {
		t.Errorf("3:1 split of %d customers gave a=%d b=%d", n, a, b)
	}
	// The same customers in a fresh run land in the same variants.
	r2 := Start(t, ns, ws)
	r2.Play(day, events...)
	got1, got2 := r.Sent(), r2.Sent()
	Equal(t, "second run", got2, got1)
}
