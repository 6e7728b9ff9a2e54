package enginetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func testUpdateAndEmit(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/points.yaml": `
flow: points
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: earn, update: {add: {points: 10}, set: {last_total: trigger.data.total}}}
  - id: gold
    if: customer.points >= 20
    then:
      - {id: crown, update: {set: {tier: '"gold"'}}}
      - {id: tell, emit: {event: tier.changed, data: {tier: customer.tier, points: customer.points}}}
`, "flows/congrats.yaml": `
flow: congrats
trigger: {event: tier.changed, when: event.data.tier == "gold"}
steps:
  - {id: mail, send: {channel: email, category: transactional, content: ` + mail("Gold with {{ trigger.data.points }}") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(day, Ev(0, "order.placed", "ana", order("1", "12.50")))
	if got := r.Attr("ana", "points"); !sameNumber(got, 10) {
		t.Errorf("points after one order = %v, want 10 (an unset attribute counts as 0)", got)
	}
	Equal(t, "no message yet", r.Sent(), nil)
	r.Play(2*day, Ev(day, "order.placed", "ana", order("2", "7")))
	if got := r.Attr("ana", "points"); !sameNumber(got, 20) {
		t.Errorf("points = %v, want 20", got)
	}
	if got := r.Attr("ana", "tier"); got != "gold" {
		t.Errorf("tier = %v", got)
	}
	Equal(t, "the emitted event starts the other flow", r.Sent(), []string{"1d ana congrats/mail"})
	if s := r.Messages()[0].Content.Subject; s != "Gold with 20" {
		t.Errorf("subject %q: the emitted data should carry the updated points", s)
	}
}

func sameNumber(v any, want float64) bool {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == want
	case int:
		return float64(x) == want
	case int64:
		return float64(x) == want
	case float64:
		return x == want
	}
	return false
}

func testEmitCycleIsCut(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/ping.yaml": `
flow: ping
trigger: {event: game.ping}
entry: {repeat: always, key: event.id}
steps:
  - {id: count, update: {add: {pings: 1}}}
  - {id: back, emit: {event: game.pong}}
`, "flows/pong.yaml": `
flow: pong
trigger: {event: game.pong}
entry: {key: event.id}
steps:
  - {id: again, emit: {event: game.ping}}
`})
	r := Start(t, ns, ws)
	r.Play(day, Ev(0, "game.ping", "ana", nil))
	// Depths 0, 2, 4, 6 are pings that run; the ping emitted at depth 8 is stored but starts nothing.
	if got := r.Attr("ana", "pings"); !sameNumber(got, 4) {
		t.Errorf("pings = %v, want 4: the chain must stop at depth 8", got)
	}
}

func testExits(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/nps.yaml": `
flow: nps
trigger: {event: order.placed}
entry: {key: event.data.order_id}
exit:
  - {event: order.refunded, when: event.data.order_id == trigger.data.order_id}
  - when: customer.consent.email == false
steps:
  - {id: settle, wait: 5d}
  - {id: survey, send: {channel: email, content: ` + mail("Survey") + `}}
  - {id: stop, exit: {reason: done asking}}
  - {id: never, send: {channel: email, content: ` + mail("Never") + `}}
`})
	r := Start(t, ns, ws)
	for _, c := range []string{"ana", "bea", "cid"} {
		r.Customer(c, map[string]any{"email": c + "@example.com", "consent": map[string]any{"email": true}})
	}
	r.Play(20*day,
		Ev(0, "order.placed", "ana", order("1", "5")),
		Ev(0, "order.placed", "ana", order("2", "5")),
		Ev(day, "order.refunded", "ana", map[string]any{"order_id": "1", "amount": jsonNum("5")}),
		Ev(0, "order.placed", "bea", order("3", "5")),
		Ev(2*day, "consent.updated", "bea", map[string]any{"channel": "email", "granted": false}),
		Ev(0, "order.placed", "cid", order("4", "5")),
	)
	Equal(t, "messages", r.Sent(), []string{"5d ana nps/survey", "5d cid nps/survey"})
	Equal(t, "ana", r.Journeys("ana"), []string{"nps exited settle", "nps exited stop"})
	Equal(t, "bea", r.Journeys("bea"), []string{"nps exited settle"})
}

func testEntryRules(t *testing.T, ns NewStore) {
	flow := func(id, entry string) string {
		return `
flow: ` + id + `
trigger: {event: order.placed}
entry: ` + entry + `
steps:
  - {id: hold, wait: 10d}
`
	}
	ws := Workspace(t, "", map[string]string{
		"flows/always.yaml":  flow("always", "{repeat: always}"),
		"flows/keyed.yaml":   flow("keyed", "{key: event.data.order_id}"),
		"flows/never.yaml":   flow("never", "{repeat: never}"),
		"flows/restart.yaml": flow("restart", "{repeat: restart}"),
		"flows/monthly.yaml": flow("monthly", "{repeat: 30d}"),
	})
	r := Start(t, ns, ws)
	r.Play(60*day,
		Ev(0, "order.placed", "ana", order("1", "5")),
		Ev(2*day, "order.placed", "ana", order("2", "5")),
		Ev(15*day, "order.placed", "ana", order("3", "5")),
		Ev(31*day, "order.placed", "ana", order("4", "5")),
	)
	js := r.Journeys("ana")
	count := map[string][]string{}
	for _, j := range js {
		var flow, rest string
		for i := range j {
			if j[i] == ' ' {
				flow, rest = j[:i], j[i+1:]
				break
			}
		}
		count[flow] = append(count[flow], rest)
	}
	// always: one active journey at a time, so the order at 2d starts nothing.
	Equal(t, "always", count["always"], []string{"completed hold", "completed hold", "completed hold"})
	Equal(t, "keyed", count["keyed"], []string{"completed hold", "completed hold", "completed hold", "completed hold"})
	Equal(t, "never", count["never"], []string{"completed hold"})
	// restart: the order at 2d ends the first journey; later orders find none active.
	Equal(t, "restart", count["restart"], []string{"exited hold", "completed hold", "completed hold", "completed hold"})
	Equal(t, "monthly (30d after the last entry)", count["monthly"], []string{"completed hold", "completed hold"})
}

func testGoals(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/review.yaml": `
flow: review
trigger: {event: order.delivered}
goal: {event: review.submitted, within: 14d}
steps:
  - {id: ask, send: {channel: email, category: transactional, content: ` + mail("Review?") + `}}
  - {id: pause, wait: 4d}
  - {id: remind, send: {channel: email, category: transactional, content: ` + mail("Reminder") + `}}
`, "flows/welcome.yaml": `
flow: welcome
trigger: {event: customer.created}
goal: {event: order.placed, exit: false}
steps:
  - {id: pause, wait: 2d}
  - {id: hello, send: {channel: email, category: transactional, content: ` + mail("Hello") + `}}
`})
	r := Start(t, ns, ws)
	for _, c := range []string{"ana", "bea", "cid"} {
		r.Customer(c, map[string]any{"email": c + "@example.com"})
	}
	r.Play(30*day,
		Ev(0, "order.delivered", "ana", map[string]any{"order_id": "1"}),
		Ev(day, "review.submitted", "ana", map[string]any{"score": 5}),
		Ev(0, "order.delivered", "bea", map[string]any{"order_id": "2"}),
		Ev(10*day, "review.submitted", "bea", map[string]any{"score": 4}),
		Ev(0, "customer.created", "cid", map[string]any{"email": "cid@example.com"}),
		Ev(day, "order.placed", "cid", order("3", "5")),
	)
	Equal(t, "messages", r.Sent(), []string{"0d ana review/ask", "0d bea review/ask", "2d cid welcome/hello", "4d bea review/remind"})
	Equal(t, "ana converted and left", r.Journeys("ana"), []string{"review converted pause"})
	Equal(t, "bea completed, then converted within the window", r.Journeys("bea"), []string{"review completed remind"})
	Equal(t, "cid reached the goal and went on", r.Journeys("cid"), []string{"welcome completed hello"})
	js, _ := r.Store.Journeys(r.Ctx, journeyFilter("bea"))
	if js[0].ConvertedAt.IsZero() {
		t.Error("bea's review 10 days after entry is within 14d: the goal counts for reporting")
	}
	js, _ = r.Store.Journeys(r.Ctx, journeyFilter("cid"))
	if js[0].ConvertedAt.IsZero() {
		t.Error("cid's order is the welcome goal")
	}
}

func testHoldout(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/winback.yaml": `
flow: winback
trigger: {event: order.placed}
holdout: 30%
steps:
  - {id: pause, wait: 30d}
  - {id: miss-you, send: {channel: email, content: ` + mail("We miss you") + `}}
`})
	r := Start(t, ns, ws)
	var evs []eventT
	for i := range 200 {
		id := "c" + itoa(i)
		r.Customer(id, map[string]any{"email": id + "@example.com", "consent": map[string]any{"email": true}})
		evs = append(evs, Ev(0, "order.placed", id, order(id, "5")))
	}
	r.Play(40*day, evs...)
	held := 0
	js, _ := r.Store.Journeys(r.Ctx, journeyFilter(""))
	for _, j := range js {
		if j.Status != "completed" {
			t.Errorf("%s: holdout journeys run to the end like the others, got %s", j.CustomerID, j.Status)
		}
		if j.Holdout {
			held++
		}
	}
	sent, skipped := len(r.Sent()), len(r.Skipped())
	if held != skipped || sent+skipped != 200 || held < 40 || held > 80 {
		t.Errorf("held=%d skipped=%d sent=%d: a 30%% holdout of 200 should hold about 60 and skip exactly their messages", held, skipped, sent)
	}
	for _, s := range r.Skipped() {
		if s[len(s)-len("holdout"):] != "holdout" {
			t.Errorf("skip reason: %s", s)
		}
	}
}

func testVersionsStayPinned(t *testing.T, ns NewStore) {
	v1 := `
flow: series
trigger: {event: customer.created}
steps:
  - {id: one, send: {channel: email, category: transactional, content: ` + mail("First") + `}}
  - {id: pause, wait: 2d}
  - {id: two, send: {channel: email, category: transactional, content: ` + mail("Second, old") + `}}
`
	v2 := `
flow: series
trigger: {event: customer.created}
steps:
  - {id: one, send: {channel: email, category: transactional, content: ` + mail("First") + `}}
  - {id: pause, wait: 5d}
  - {id: two, send: {channel: email, category: transactional, content: ` + mail("Second, new") + `}}
`
	ws1 := Workspace(t, "", map[string]string{"flows/series.yaml": v1})
	ws2 := Workspace(t, "", map[string]string{"flows/series.yaml": v2})
	r := Start(t, ns, ws1)
	r.Play(day, Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com"}))
	if err := r.Engine.SetFlows(r.Ctx, engineFlowSet(ws2)); err != nil {
		t.Fatal(err)
	}
	r.Play(20*day, Ev(day, "customer.created", "bea", map[string]any{"email": "b@example.com"}))
	var subjects []string
	for _, m := range r.Messages() {
		subjects = append(subjects, off(m.SendAt)+" "+m.CustomerID+" "+m.Content.Subject)
	}
	Equal(t, "ana keeps the version she entered with; bea gets the new one", subjects,
		[]string{"0d ana First", "1d bea First", "2d ana Second, old", "6d bea Second, new"})
}

func testVersionFromStoreAfterRestart(t *testing.T, ns NewStore) {
	v1 := `
flow: series
trigger: {event: customer.created}
steps:
  - {id: pause, wait: 2d}
  - {id: two, send: {channel: email, category: transactional, content: ` + mail("Old text") + `}}
`
	v2 := `
flow: series
trigger: {event: customer.created}
steps:
  - {id: pause, wait: 9d}
  - {id: two, send: {channel: email, category: transactional, content: ` + mail("New text") + `}}
`
	ws1 := Workspace(t, "", map[string]string{"flows/series.yaml": v1})
	ws2 := Workspace(t, "", map[string]string{"flows/series.yaml": v2})
	r := Start(t, ns, ws1)
	r.Play(day, Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com"}))
	// A new engine (a restarted process) that only knows v2 finds v1 in the store.
	r2 := restart(r, ws2)
	r2.Play(10 * day)
	Equal(t, "subjects", subjectsOf(r2), []string{"2d ana Old text"})
}

func testMetricsBeforeFlows(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/first.yaml": `
flow: first
trigger: {event: order.placed, when: customer.orders_count == 1}
steps:
  - {id: welcome, send: {channel: email, category: transactional, content: ` + mail("{{ customer.orders_count }} {{ customer.total_spent }}") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(3*day,
		Ev(0, "order.placed", "ana", order("1", "0.10")),
		Ev(day, "order.placed", "ana", order("2", "0.20")),
		Ev(2*day, "order.refunded", "ana", map[string]any{"order_id": "2", "amount": jsonNum("0.05")}),
	)
	Equal(t, "only the first order", r.Sent(), []string{"0d ana first/welcome"})
	c, err := r.Store.Customer(r.Ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if c.OrdersCount != 2 || c.TotalSpent.String() != "0.25" {
		t.Errorf("orders_count=%d total_spent=%s, want 2 and exactly 0.25", c.OrdersCount, c.TotalSpent)
	}
	if !c.FirstOrderAt.Equal(T0) || !c.LastOrderAt.Equal(T0.Add(day)) {
		t.Errorf("first/last order at %s / %s", c.FirstOrderAt, c.LastOrderAt)
	}
	if s := r.Messages()[0].Content.Subject; s != "1 0.1" {
		t.Errorf("the first order sees orders_count 1: subject %q", s)
	}
}

func testDuplicateEventsDropped(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/thanks.yaml": `
flow: thanks
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: hello, send: {channel: email, category: transactional, content: ` + mail("Thanks") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	ev := Ev(0, "order.placed", "ana", order("1", "5"))
	res, err := r.Engine.Ingest(r.Ctx, []eventT{ev, ev})
	if err != nil || res.Stored != 1 || res.Duplicates != 1 {
		t.Fatalf("same batch: %+v %v", res, err)
	}
	res, err = r.Engine.Ingest(r.Ctx, []eventT{ev})
	if err != nil || res.Stored != 0 || res.Duplicates != 1 {
		t.Fatalf("redelivery: %+v %v", res, err)
	}
	c, _ := r.Store.Customer(r.Ctx, "ana")
	if c.OrdersCount != 1 || len(r.Sent()) != 1 {
		t.Errorf("a redelivered order counted twice: orders=%d messages=%v", c.OrdersCount, r.Sent())
	}
}

// An entry key computed from a long value is stored as its hash: the batch commits, and the key
// still tells journeys apart and keeps a repeat out.
func testLongEntryKey(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/note.yaml": `
flow: note
trigger: {event: note.left}
entry: {key: event.data.text, repeat: never}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: ` + mail("Thanks for the note") + `}}
`, "flows/relay.yaml": `
flow: relay
trigger: {event: note.left}
steps:
  - {id: copy, emit: {event: order.placed, data: {order_id: trigger.data.text, total: 1, currency: '"USD"'}}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	// 5,120 bytes that do not compress: the database would squeeze a repeated text under its bound.
	var b strings.Builder
	for i := 0; b.Len() < 5120; i++ {
		sum := sha256.Sum256([]byte(itoa(i)))
		b.WriteString(hex.EncodeToString(sum[:]))
	}
	long := b.String()
	r.Play(day,
		Ev(0, "note.left", "ana", map[string]any{"text": long}),
		Ev(time.Hour, "note.left", "ana", map[string]any{"text": long}),
		Ev(2*time.Hour, "note.left", "ana", map[string]any{"text": long + "!"}),
	)
	Equal(t, "one journey per distinct long key", r.Sent(), []string{"0d ana note/thanks", "2h0m0s ana note/thanks"})
	if c, _ := r.Store.Customer(r.Ctx, "ana"); c.OrdersCount != 0 {
		t.Errorf("an emitted order.placed whose order_id is 5,120 bytes was processed (%d orders); it cannot be stored", c.OrdersCount)
	}
	js, err := r.Store.Journeys(r.Ctx, journeyFilter("ana"))
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.FlowID != "note" {
			continue
		}
		if len(j.Key) > 256 || !strings.HasPrefix(j.Key, "sha256:") {
			t.Errorf("a 5,120-byte key is stored as %d bytes (%.20s...); want its sha256", len(j.Key), j.Key)
		}
	}
}
