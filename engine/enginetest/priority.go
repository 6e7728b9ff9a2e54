package enginetest

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
)

// priorityWorkspace has one marketing message a month, and three flows that differ only by
// priority, each started by its own event; the low one stops at a refund, and news skips over
// the limit.
func priorityWorkspace(t *testing.T) *dsl.Workspace {
	flow := func(id, priority, extra string) string {
		return `
flow: ` + id + `
trigger: {event: ` + id + `.tick}
entry: {key: event.id}
priority: ` + priority + `
` + extra + `
steps:
  - {id: mail, send: {channel: email, content: ` + mail(id) + `}}
`
	}
	return Workspace(t, `
policies:
  frequency: [{max: 1, per: 30d}]
  quiet_hours: {from: "21:00", to: "09:00", channels: [sms]}
  over_limit: defer
`, map[string]string{
		"flows/normal.yaml": flow("normal", "normal", ""),
		"flows/low.yaml":    flow("low", "low", "exit: [{event: order.refunded}]"),
		"flows/high.yaml":   flow("high", "high", ""),
		"flows/news.yaml":   strings.ReplaceAll(flow("news", "low", "policies: {over_limit: skip}"), "{id: mail, send: {channel: email, content: "+mail("news")+"}}", `{id: text, send: {channel: sms, content: {default_locale: en, locales: {en: {text: "News"}}}}}`),
	})
}

func testPriorityTakesTheWaitingPlace(t *testing.T, ns NewStore) {
	r := Start(t, ns, priorityWorkspace(t))
	for _, c := range []string{"ana", "bea", "cid", "dan"} {
		r.Customer(c, map[string]any{"email": c + "@example.com", "consent": map[string]any{"email": true}})
	}
	r.Play(100*day,
		// ana: normal on day 0; low written on day 1 waits for day 30; high written on day 2 takes
		// day 30, and the low one leaves on day 60.
		Ev(0, "normal.tick", "ana", nil),
		Ev(day, "low.tick", "ana", nil),
		Ev(2*day, "high.tick", "ana", nil),
		// bea: the low message left at once on day 0: it is never taken back, and high waits.
		Ev(0, "low.tick", "bea", nil),
		Ev(2*day, "high.tick", "bea", nil),
		// cid: equal priorities keep their order.
		Ev(0, "normal.tick", "cid", nil),
		Ev(day, "normal.tick", "cid", nil),
		Ev(2*day, "normal.tick", "cid", nil),
		// dan: like ana, and his low message, moved to day 60, is still stopped by the refund
		// on day 45, though its journey ended on day 1.
		Ev(0, "normal.tick", "dan", nil),
		Ev(day, "low.tick", "dan", nil),
		Ev(2*day, "high.tick", "dan", nil),
		Ev(45*day, "order.refunded", "dan", map[string]any{"order_id": "1", "amount": jsonNum("5")}),
	)
	Equal(t, "sent", r.Sent(), []string{
		"0d ana normal/mail", "0d bea low/mail", "0d cid normal/mail", "0d dan normal/mail",
		"30d ana high/mail", "30d bea high/mail", "30d cid normal/mail", "30d dan high/mail",
		"60d ana low/mail", "60d cid normal/mail",
	})
	Equal(t, "skipped", r.Skipped(), []string{"dan low/mail exited"})
	// The marks that count toward the limit moved with the messages.
	c, err := r.Store.Customer(r.Ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, s := range c.Sends {
		marks = append(marks, off(s.At))
	}
	sort.Strings(marks)
	Equal(t, "ana's counted sends", marks, []string{"0d", "30d", "60d"})
}

// A displaced message whose flow skips over the limit is skipped: news by SMS at 22:00 in Lima
// waits for 09:00; an email of higher priority at 23:00 would put that morning over the limit,
// so it takes the news's place and leaves at once.
func testPriorityDisplacedIsSkipped(t *testing.T, ns NewStore) {
	r := Start(t, ns, priorityWorkspace(t))
	r.Customer("fay", map[string]any{"email": "fay@example.com", "phone": "+51999000111", "timezone": "America/Lima",
		"consent": map[string]any{"email": true, "sms": true}})
	r.Play(40*day,
		Ev(12*time.Hour, "news.tick", "fay", nil),
		Ev(13*time.Hour, "high.tick", "fay", nil),
	)
	Equal(t, "sent", r.Sent(), []string{"13h0m0s fay high/mail"})
	Equal(t, "skipped", r.Skipped(), []string{"fay news/text frequency"})
}

// A message a dispatcher has leased is never taken back, even one the engine would still see as
// waiting (a dispatcher whose clock runs ahead).
func testPriorityNeverTakesALeasedMessage(t *testing.T, ns NewStore) {
	r := Start(t, ns, priorityWorkspace(t))
	r.Customer("gus", map[string]any{"email": "gus@example.com", "consent": map[string]any{"email": true}})
	r.Play(day+time.Hour, Ev(0, "normal.tick", "gus", nil), Ev(day, "low.tick", "gus", nil))
	if err := r.Store.InTx(r.Ctx, func(tx store.Tx) error {
		_, err := tx.ClaimMessages(context.Background(), T0.Add(30*day), T0.Add(31*day), 100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r.Play(100*day, Ev(2*day, "high.tick", "gus", nil))
	got := map[string]string{}
	for _, m := range r.Messages() {
		got[m.FlowID] = m.Status + " " + off(m.SendAt)
	}
	for k, want := range map[string]string{"normal": "sending 0d", "low": "sending 30d", "high": "pending 60d"} {
		if got[k] != want {
			t.Errorf("%s: %s, want %s", k, got[k], want)
		}
	}
}
