package enginetest

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// Arrive plays everything due until T0+at, then hands the engine events that arrive at that
// moment, whatever their own time: a late delivery, or one stamped ahead of the clock.
func (r *Run) Arrive(at time.Duration, evs ...eventT) {
	r.T.Helper()
	r.Play(at)
	if _, err := r.Engine.Ingest(r.Ctx, evs); err != nil {
		r.T.Fatal(err)
	}
}

// consentOf returns a customer's recorded consent on a channel.
func (r *Run) consentOf(customer, channel string) (store.Consent, bool) {
	r.T.Helper()
	c, err := r.Store.Customer(r.Ctx, customer)
	if err != nil {
		r.T.Fatal(err)
	}
	v, ok := c.Consent[channel]
	return v, ok
}

func consentText(c store.Consent) string {
	g := "null"
	if c.Granted != nil {
		g = map[bool]string{true: "true", false: "false"}[*c.Granted]
	}
	return g + " at " + off(c.At) + " by " + c.EventType + " " + c.EventID
}

const promoFlow = `
flow: promo
trigger: {event: promo.tick}
entry: {key: event.id}
steps:
  - {id: mail, send: {channel: email, content: {default_locale: en, locales: {en: {subject: "Promo", text: "Leave: {{ unsubscribe_url }}"}}}}}
`

// A late event never undoes a newer unsubscribe: an order placed before the customer withdrew,
// delivered again after it with the box ticked, leaves the customer unsubscribed.
func testConsentByEventTime(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/promo.yaml": promoFlow})
	r := Start(t, ns, ws)
	created := Ev(0, "customer.created", "ana", map[string]any{"email": "a@example.com", "consent": map[string]any{"email": true}})
	withdrawn := Ev(2*day, "consent.updated", "ana", map[string]any{"channel": "email", "granted": false})
	r.Play(2*day, created, withdrawn)
	retry := Ev(day, "customer.updated", "ana", map[string]any{"consent": map[string]any{"email": true}})
	r.Arrive(3*day, retry)
	c, ok := r.consentOf("ana", "email")
	if !ok || consentText(c) != "false at 2d by consent.updated "+withdrawn.ID {
		t.Errorf("email consent is %q; want the withdrawal of day 2 to stand: false at 2d by consent.updated %s", consentText(c), withdrawn.ID)
	}
	r.Play(4*day, Ev(4*day, "promo.tick", "ana", nil))
	Equal(t, "marketing after the late grant", r.Skipped(), []string{"ana promo/mail consent"})

	// A newer answer applies: granted on day 5, withdrawn again on day 6 by an event of the same
	// content (an unsubscribe link clicked again).
	r.Play(6*day,
		Ev(5*day, "consent.updated", "ana", map[string]any{"channel": "email", "granted": true}),
		Ev(6*day, "consent.updated", "ana", map[string]any{"channel": "email", "granted": false}))
	if c, _ := r.consentOf("ana", "email"); c.Granted == nil || *c.Granted || !c.At.Equal(T0.Add(6*day)) {
		t.Errorf("after granting on day 5 and withdrawing on day 6 the consent is %q; want false at 6d", consentText(c))
	}
}

// At the same moment a withdrawal wins; an answer stamped ahead of the clock counts from when it
// arrived, so the customer's click a minute later still applies.
func testConsentTiesAndFutureStamps(t *testing.T, ns NewStore) {
	ws := Workspace(t, "", map[string]string{"flows/promo.yaml": promoFlow})
	r := Start(t, ns, ws)
	r.Play(day,
		Ev(day, "consent.updated", "bea", map[string]any{"channel": "email", "granted": false}),
		Ev(day, "consent.updated", "bea", map[string]any{"channel": "email", "granted": true}),
		Ev(day, "consent.updated", "cid", map[string]any{"channel": "sms", "granted": true}),
		Ev(day, "consent.updated", "cid", map[string]any{"channel": "sms", "granted": false}))
	for _, c := range []struct{ customer, channel string }{{"bea", "email"}, {"cid", "sms"}} {
		if v, _ := r.consentOf(c.customer, c.channel); v.Granted == nil || *v.Granted {
			t.Errorf("%s: a grant and a withdrawal at the same moment left %q; want the withdrawal", c.customer, consentText(v))
		}
	}
	ahead := Ev(2*day+4*time.Minute, "consent.updated", "dan", map[string]any{"channel": "email", "granted": true})
	r.Arrive(2*day, ahead)
	if v, _ := r.consentOf("dan", "email"); !v.At.Equal(T0.Add(2 * day)) {
		t.Errorf("a grant stamped 4 minutes ahead is recorded at %s; want the moment it arrived (2d)", off(v.At))
	}
	click := Ev(2*day+time.Minute, "consent.updated", "dan", map[string]any{"channel": "email", "granted": false})
	r.Arrive(2*day+time.Minute, click)
	if v, _ := r.consentOf("dan", "email"); v.Granted == nil || *v.Granted || v.EventID != click.ID {
		t.Errorf("a click a minute after a grant stamped ahead of the clock left %q; want it withdrawn by %s", consentText(v), click.ID)
	}
}
