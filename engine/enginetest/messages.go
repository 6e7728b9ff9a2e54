package enginetest

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
)

func testLocaleFallback(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/hello.yaml": `
flow: hello
trigger: {event: customer.created}
steps:
  - {id: hi, send: {channel: email, category: transactional, template: hello}}
`, "templates/hello.yaml": `
template: hello
channel: email
default_locale: en
locales:
  en: {subject: "Hello {{ customer.first_name }}", text: "Hi"}
  es: {subject: "Hola {{ customer.first_name }}", text: "Hola"}
  es-PE: {subject: "Hola causa {{ customer.first_name }}", text: "Hola"}
  it: {subject: "Ciao {{ customer.first_name }}", text: "Ciao {{ customer.nickname | upcase }}"}
`})
	r := Start(t, ns, ws)
	r.Play(day,
		Ev(0, "customer.created", "pe", map[string]any{"email": "a@x.pe", "first_name": "Ana", "locale": "es-PE"}),
		Ev(0, "customer.created", "mx", map[string]any{"email": "b@x.mx", "first_name": "Beto", "locale": "es-MX"}),
		Ev(0, "customer.created", "it", map[string]any{"email": "c@x.it", "first_name": "Carla", "locale": "it"}),
		Ev(0, "customer.created", "de", map[string]any{"email": "d@x.de", "first_name": "Dirk", "locale": "de"}),
		Ev(0, "customer.created", "none", map[string]any{"email": "e@x.com", "first_name": "Eve"}),
	)
	var got []string
	for _, m := range r.Messages() {
		got = append(got, m.CustomerID+" "+m.Locale+" "+m.Content.Subject+" / "+m.Content.Text)
	}
	Equal(t, "locale: exact, then language, then default; a missing variable renders empty", got, []string{
		"de en Hello Dirk / Hi",
		"it it Ciao Carla / Ciao ",
		"mx es Hola Beto / Hola",
		"none en Hello Eve / Hi",
		"pe es-PE Hola causa Ana / Hola",
	})
}

func testRenderFailureDoesNotStopTheJourney(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/broken.yaml": `
flow: broken
trigger: {event: customer.created}
steps:
  - {id: bad, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "{{ customer.first_name | truncate: 'x' }}", text: "t"}}}}}
  - {id: good, send: {channel: email, category: transactional, content: ` + mail("Still here") + `}}
`})
	r := Start(t, ns, ws)
	r.Play(day, Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com", "first_name": "Ana"}))
	ms := r.Messages()
	if len(ms) != 2 || ms[0].StepID != "bad" || ms[0].Status != "failed" || ms[0].Reason == "" || ms[1].Status != "pending" {
		for _, m := range ms {
			t.Logf("%s %s %s", m.StepID, m.Status, m.Reason)
		}
		t.Fatal("a filter error marks the message failed with its reason, and the journey goes on")
	}
	Equal(t, "journey", r.Journeys("ana"), []string{"broken completed good"})
}

func testPoliciesThroughTheEngine(t *testing.T, ns NewStore) {
	ws := Workspace(t, `
policies:
  frequency: [{max: 2, per: 30d}]
  quiet_hours: {from: "21:00", to: "09:00", channels: [sms]}
`, map[string]string{"flows/promo.yaml": `
flow: promo
trigger: {event: promo.tick}
entry: {key: event.id}
steps:
  - {id: mail, send: {channel: email, content: ` + mail("Promo") + `}}
`, "flows/night.yaml": `
flow: night
trigger: {event: order.placed}
steps:
  - {id: text, send: {channel: sms, content: {default_locale: en, locales: {en: {text: "Thanks"}}}}}
  - {id: receipt, send: {channel: sms, category: transactional, content: {default_locale: en, locales: {en: {text: "Receipt"}}}}}
`, "flows/vip.yaml": `
flow: vip
trigger: {event: vip.tick}
policies: {frequency: []}
steps:
  - {id: note, send: {channel: email, content: ` + mail("VIP") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com", "phone": "+51999000111", "timezone": "America/Lima",
		"consent": map[string]any{"email": true, "sms": true}})
	r.Customer("bob", map[string]any{"email": "b@example.com", "consent": map[string]any{"email": false}})
	r.Play(60*day,
		Ev(0, "promo.tick", "ana", nil),
		Ev(day, "promo.tick", "ana", nil),
		Ev(2*day, "promo.tick", "ana", nil),
		Ev(3*day, "vip.tick", "ana", nil),
		Ev(0, "promo.tick", "bob", nil),
		Ev(12*time.Hour, "order.placed", "ana", order("1", "5")), // 22:00 in Lima
	)
	// The SMS at 22:00 in Lima waits for 09:00 (23h); with the first promo that fills the month, so
	// the second promo waits 30 days after the first one, and the third 30 days after the SMS. The
	// VIP flow lifts the limit for itself; the transactional receipt ignores quiet hours.
	Equal(t, "sent", r.Sent(), []string{
		"0d ana promo/mail",
		"12h0m0s ana night/receipt",
		"23h0m0s ana night/text",
		"3d ana vip/note",
		"30d ana promo/mail",
		"743h0m0s ana promo/mail",
	})
	Equal(t, "skipped", r.Skipped(), []string{"bob promo/mail consent"})
}

func testTemplatesSeeExactMoney(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/thanks.yaml": `
flow: thanks
trigger: {event: order.placed}
steps:
  - {id: hi, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "{{ trigger.data.total }} {{ trigger.data.currency }}", text: "{{ customer.total_spent }} / {{ trigger.data.total | money }} / {{ trigger.data.total | times: 2 }}"}}}}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(day, Ev(0, "order.placed", "ana", order("1", "59.90")))
	m := r.Messages()[0]
	if m.Content.Subject != "59.90 PEN" || m.Content.Text != "59.9 / 59.90 / 119.8" {
		t.Errorf("subject %q text %q: a template prints the amount as the shop sent it", m.Content.Subject, m.Content.Text)
	}
}

func testHeldMessagesAreCancelled(t *testing.T, ns NewStore) {
	ws := monthFullWorkspace(t, "nps", `
flow: nps
trigger: {event: order.placed}
entry: {key: event.data.order_id}
exit: [{event: order.refunded, when: event.data.order_id == trigger.data.order_id}]
steps:
  - {id: pause, wait: 2d}
  - {id: survey, send: {channel: email, content: `+mail("Survey")+`}}
  - {id: after, if: 'trigger.data.order_id == "3"', then: [{id: last, exit: {reason: asked}}]}
  - {id: linger, wait: 7d}
`)
	r := Start(t, ns, ws)
	consent := map[string]any{"email": true}
	r.Play(40*day,
		// ana: the survey is held by the monthly limit; she withdraws consent before it leaves.
		Ev(0, "customer.created", "ana", map[string]any{"email": "a@x.com", "consent": consent}),
		Ev(0, "order.placed", "ana", order("1", "5")),
		Ev(5*day, "consent.updated", "ana", map[string]any{"channel": "email", "granted": false}),
		// bea: the survey is held; the order is refunded before it leaves, while the journey still
		// waits, and the exit rule ends it.
		Ev(0, "customer.created", "bea", map[string]any{"email": "b@x.com", "consent": consent}),
		Ev(0, "order.placed", "bea", order("2", "5")),
		Ev(6*day, "order.refunded", "bea", map[string]any{"order_id": "2", "amount": jsonNum("5")}),
		// cid: the survey is held and the journey ends by its own exit step: it still leaves.
		Ev(0, "customer.created", "cid", map[string]any{"email": "c@x.com", "consent": consent}),
		Ev(0, "order.placed", "cid", order("3", "5")),
	)
	Equal(t, "sent", r.Sent(), []string{"0d ana welcome/hello", "0d bea welcome/hello", "0d cid welcome/hello", "30d cid nps/survey"})
	Equal(t, "skipped", r.Skipped(), []string{"ana nps/survey consent", "bea nps/survey exited"})
	c, _ := r.Store.Customer(r.Ctx, "bea")
	if len(c.Sends) != 1 {
		t.Errorf("bea's cancelled survey still counts toward her limit: %d sends counted", len(c.Sends))
	}
}

// A journey that ran past its last step while its message was held back by a limit is stopped
// all the same by its exit rule or its goal, until that message leaves.
func testEndedJourneyHeldMessageStops(t *testing.T, ns NewStore) {
	ws := monthFullWorkspace(t, "offer", `
flow: offer
trigger: {event: order.placed}
entry: {key: event.data.order_id}
exit: [{event: order.refunded, when: event.data.order_id == trigger.data.order_id}]
goal: {event: order.placed, when: event.data.order_id != trigger.data.order_id}
steps:
  - {id: nudge, send: {channel: email, content: `+mail("Offer")+`}}
`)
	r := Start(t, ns, ws)
	consent := map[string]any{"email": true}
	r.Play(40*day,
		// dan: the offer is held to day 30 and his journey completes; the refund on day 6 stops it.
		Ev(0, "customer.created", "dan", map[string]any{"email": "d@x.com", "consent": consent}),
		Ev(0, "order.placed", "dan", order("4", "5")),
		Ev(6*day, "order.refunded", "dan", map[string]any{"order_id": "4", "amount": jsonNum("5")}),
		// eve: held likewise; her second order on day 7 is the first journey's goal, which stops
		// its offer; the second journey's own offer takes the freed place on day 30.
		Ev(0, "customer.created", "eve", map[string]any{"email": "e@x.com", "consent": consent}),
		Ev(0, "order.placed", "eve", order("5", "5")),
		Ev(7*day, "order.placed", "eve", order("6", "5")),
		// fay: nothing happens, and her held offer leaves on day 30.
		Ev(0, "customer.created", "fay", map[string]any{"email": "f@x.com", "consent": consent}),
		Ev(0, "order.placed", "fay", order("7", "5")),
		// gus: his refund comes on day 31, after the offer left: nothing to stop.
		Ev(0, "customer.created", "gus", map[string]any{"email": "g@x.com", "consent": consent}),
		Ev(0, "order.placed", "gus", order("8", "5")),
		Ev(31*day, "order.refunded", "gus", map[string]any{"order_id": "8", "amount": jsonNum("5")}),
	)
	Equal(t, "sent", r.Sent(), []string{"0d dan welcome/hello", "0d eve welcome/hello", "0d fay welcome/hello", "0d gus welcome/hello",
		"30d eve offer/nudge", "30d fay offer/nudge", "30d gus offer/nudge"})
	Equal(t, "skipped", r.Skipped(), []string{"dan offer/nudge exited", "eve offer/nudge exited"})
	js, err := r.Store.Journeys(r.Ctx, store.JourneyFilter{CustomerID: "eve"})
	if err != nil {
		t.Fatal(err)
	}
	converted := 0
	for _, j := range js {
		if j.FlowID == "offer" && !j.ConvertedAt.IsZero() {
			converted++
		}
	}
	if converted != 1 {
		t.Errorf("eve's offer journeys converted: %d, want the first one", converted)
	}
}

// monthFullWorkspace allows one marketing message a month, which the welcome flow's hello takes
// on sign-up, so that the other flow's messages are held for a month.
func monthFullWorkspace(t *testing.T, flowID, flow string) *dsl.Workspace {
	return Workspace(t, `
policies:
  frequency: [{max: 1, per: 30d}]
`, map[string]string{"flows/welcome.yaml": `
flow: welcome
trigger: {event: customer.created}
steps:
  - {id: hello, send: {channel: email, content: ` + mail("Hello") + `}}
`, "flows/" + flowID + ".yaml": flow})
}
