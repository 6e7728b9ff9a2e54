package enginetest

import (
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/sim"
	"github.com/rs/zerolog"
)

func testDateTriggers(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/birthday.yaml": `
flow: birthday
trigger: {date: customer.birthday, offset: -3d, at: "10:00"}
steps:
  - {id: gift, send: {channel: email, category: transactional, content: ` + mail("Gift") + `}}
`, "flows/anniversary.yaml": `
flow: anniversary
trigger: {date: customer.created_at, at: "09:00"}
steps:
  - {id: cheers, send: {channel: email, category: transactional, content: ` + mail("Cheers") + `}}
`})
	r := Start(t, ns, ws)
	rome := mustLoc("Europe/Rome")
	// Chiara's birthday is 31 March; three days before, Rome has moved to summer time.
	r.Customer("chiara", map[string]any{"email": "c@example.it", "timezone": "Europe/Rome", "birthday": "1990-03-31",
		"created_at": "2024-11-20T12:00:00Z"})
	r.Customer("leap", map[string]any{"email": "l@example.com", "timezone": "America/Lima", "birthday": "1992-02-29",
		"created_at": "2025-10-01T12:00:00Z"})
	r.Play(400 * day)
	var got []string
	for _, m := range r.Messages() {
		loc := rome
		if m.CustomerID == "leap" {
			loc = mustLoc("America/Lima")
		}
		got = append(got, m.CustomerID+" "+m.FlowID+" "+m.SendAt.In(loc).Format("2006-01-02 15:04 -07:00"))
	}
	Equal(t, "dates", got, []string{
		"chiara anniversary 2025-11-20 09:00 +01:00",
		"leap birthday 2026-02-25 10:00 -05:00", // 28 February in a common year, minus three days
		"chiara birthday 2026-03-28 10:00 +01:00",
		"leap anniversary 2026-10-01 09:00 -05:00",
	})
	for _, g := range got {
		if strings.HasPrefix(g, "leap anniversary 2025") {
			t.Error("an anniversary does not fire in the year the customer registered")
		}
	}
}

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func testScheduleFansOutInBatches(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/early.yaml": `
flow: early
trigger:
  schedule: {at: "2025-10-20T10:00:00-05:00"}
  audience: customer.orders_count >= 1
steps:
  - {id: invite, send: {channel: email, content: ` + mail("Early access") + `}}
`})
	st := ns(t)
	clk := newClock()
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(), BatchSize: 4, EventTime: eventTime})
	r := &Run{T: t, Ctx: ctxBG(), Store: st, Clock: clk, Engine: eng, Driver: &sim.Driver{Engine: eng, Clock: clk}}
	for i := range 11 {
		id := "c" + itoa(i)
		attrs := map[string]any{"email": id + "@example.com", "consent": map[string]any{"email": true}}
		if i%3 != 0 {
			attrs["orders_count"] = 1
		}
		r.Customer(id, attrs)
	}
	r.Play(10 * day)
	sent := r.Sent()
	if len(sent) != 7 {
		t.Fatalf("7 of 11 customers have ordered; invited: %v", sent)
	}
	for _, s := range sent {
		if !strings.HasPrefix(s, "6d ") {
			t.Errorf("invitation at %s, want the scheduled moment (6 days after the start)", s)
		}
	}
	// Running the schedules again sends nothing more: the occurrence is done.
	if n, err := eng.RunSchedules(r.Ctx); err != nil || n != 0 {
		t.Errorf("a finished schedule ran again: %d %v", n, err)
	}
}

func testCronFollowsTheWorkspaceZone(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/daily.yaml": `
flow: daily
trigger:
  schedule: {cron: "0 10 * * *"}
  audience: customer.orders_count >= 0
entry: {repeat: always}
steps:
  - {id: news, send: {channel: email, category: transactional, content: ` + mail("News") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Play(2*day + time.Hour)
	var got []string
	for _, m := range r.Messages() {
		got = append(got, m.SendAt.In(mustLoc("America/Lima")).Format("2006-01-02 15:04"))
	}
	// T0 is 10:00 in Lima: an occurrence at the very moment the schedule is first seen counts.
	Equal(t, "fires at 10:00 in the workspace's time zone", got, []string{"2025-10-14 10:00", "2025-10-15 10:00", "2025-10-16 10:00"})
}

// A daily schedule at 02:30 in Rome fires once on the night the clocks go back, when 02:30
// happens twice.
func testCronFiresOnceOnTheAutumnNight(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/nightly.yaml": `
flow: nightly
trigger:
  schedule: {cron: "30 2 * * *", timezone: Europe/Rome}
  audience: customer.orders_count >= 0
entry: {repeat: always}
steps:
  - {id: news, send: {channel: email, category: transactional, content: ` + mail("News") + `}}
`})
	r := Start(t, ns, ws)
	r.Customer("ana", map[string]any{"email": "a@example.com"})
	r.Clock.Set(time.Date(2025, 10, 24, 12, 0, 0, 0, time.UTC))
	r.Play(15 * day)
	var got []string
	for _, m := range r.Messages() {
		got = append(got, m.SendAt.In(mustLoc("Europe/Rome")).Format("2006-01-02 15:04 MST"))
	}
	Equal(t, "once a night, the first 02:30 on 26 October", got, []string{
		"2025-10-25 02:30 CEST", "2025-10-26 02:30 CEST", "2025-10-27 02:30 CET", "2025-10-28 02:30 CET", "2025-10-29 02:30 CET"})
}
