package shopify

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

// A customer record repeats the consent the customer gave long ago with every later edit of the
// profile. Dated by the record, it would undo an unsubscribe clicked since in an Afterglow email,
// which Shopify never hears of; dated by consent_updated_at, it cannot.
func TestRecordConsentIsDatedWhenItChanged(t *testing.T) {
	body := []byte(`{"id": 7001, "email": "ana@example.com", "first_name": "Ana", "state": "enabled", "verified_email": true,
		"created_at": "2023-02-01T10:00:00-05:00", "updated_at": "2025-10-14T09:00:00-05:00",
		"email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in", "consent_updated_at": "2023-02-01T10:05:00-05:00"},
		"sms_marketing_consent": {"state": "not_subscribed", "opt_in_level": null, "consent_updated_at": null}}`)
	rec := &recorder{}
	h := newHandler(t, rec, nil)
	send(t, h, "customers/update", body)
	evs := rec.last(t)
	var updated, consent []event.Event
	for _, e := range evs {
		switch e.Type {
		case event.CustomerUpdated:
			updated = append(updated, e)
		case event.ConsentUpdated:
			consent = append(consent, e)
		}
	}
	if len(updated) != 1 || len(consent) != 1 {
		t.Fatalf("events %+v; want one customer.updated and one consent.updated", evs)
	}
	given := time.Date(2023, 2, 1, 15, 5, 0, 0, time.UTC)
	if c := consent[0]; !c.Time.Equal(given) || c.Data["channel"] != "email" || c.Data["granted"] != true {
		t.Errorf("consent.updated %v %v; want email granted at %v, when the customer subscribed", c.Time, c.Data, given)
	}
	// Only the SMS answer, which says nothing of when it was given, stays with the record.
	if m, _ := updated[0].Data["consent"].(map[string]any); len(m) != 1 || m["sms"] != false {
		t.Errorf("customer.updated consent %v; want only sms: false", updated[0].Data["consent"])
	}

	// The same record again, with another edit of the profile, repeats the same consent event.
	rec2 := &recorder{}
	h2 := newHandler(t, rec2, nil)
	req := request("customers/update", body)
	req.Header.Set("X-Shopify-Webhook-Id", "another-delivery")
	serve(h2, req)
	for _, e := range rec2.last(t) {
		if e.Type == event.ConsentUpdated && e.ID != consent[0].ID {
			t.Errorf("the same consent in another delivery has id %s, was %s: it must be one event", e.ID, consent[0].ID)
		}
	}
}
