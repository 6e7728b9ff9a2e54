package policy

import (
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/message"
)

var (
	lima, _ = timespec.LoadLocation("America/Lima")
	rome, _ = timespec.LoadLocation("Europe/Rome")
	t0      = time.Date(2025, 11, 3, 15, 0, 0, 0, time.UTC) // Monday 10:00 in Lima, 16:00 in Rome
	day     = 24 * time.Hour
)

func monthly(over string) *dsl.Policies {
	q := &dsl.QuietHours{From: timespec.TimeOfDay{Hour: 21}, To: timespec.TimeOfDay{Hour: 9}, Channels: []string{"sms", "push"}}
	return &dsl.Policies{Frequency: []dsl.FrequencyLimit{{Max: 2, Per: 30 * day, Categories: []string{"marketing"}}}, QuietHours: q, OverLimit: over}
}

func in(now time.Time, channel string, sends ...time.Time) Input {
	var marks []store.SendMark
	for _, s := range sends {
		marks = append(marks, store.SendMark{At: s, Channel: "email", Category: "marketing"})
	}
	shape := message.Shape(channel)
	return Input{Now: now, Channel: channel, Shape: shape, Category: "marketing", HasAddress: true,
		Consent: map[string]any{"email": true, "sms": true, "push": true}, Location: lima, Sends: marks, Policies: monthly("defer")}
}

func TestConsentAddressHoldoutTransactional(t *testing.T) {
	i := in(t0, "email")
	i.Consent = map[string]any{"email": nil}
	if d := Decide(i); !d.Skip || d.Reason != ReasonConsent {
		t.Errorf("unknown consent is no: %+v", d)
	}
	i.Consent = map[string]any{"email": false}
	i.Category = "transactional"
	if d := Decide(i); d.Skip || !d.SendAt.Equal(t0) {
		t.Errorf("transactional ignores consent: %+v", d)
	}
	i.HasAddress = false
	if d := Decide(i); !d.Skip || d.Reason != ReasonNoAddress {
		t.Errorf("no address: %+v", d)
	}
	i = in(t0, "email")
	i.Holdout = true
	if d := Decide(i); !d.Skip || d.Reason != ReasonHoldout {
		t.Errorf("holdout: %+v", d)
	}
	w := in(t0, "webhook")
	w.Consent = nil
	if d := Decide(w); d.Skip {
		t.Errorf("a webhook reaches the shop, not the customer, and needs no consent: %+v", d)
	}
}

func TestFrequencyDeferAndSkip(t *testing.T) {
	first, second := t0.Add(-20*day), t0.Add(-5*day)
	d := Decide(in(t0, "email", first, second))
	if d.Skip || !d.SendAt.Equal(first.Add(30*day)) || d.Reason != ReasonFrequency {
		t.Errorf("third in a month waits until 30d after the oldest counted: %+v", d)
	}
	i := in(t0, "email", first, second)
	i.Policies = monthly("skip")
	if d := Decide(i); !d.Skip || d.Reason != ReasonFrequency {
		t.Errorf("over_limit skip: %+v", d)
	}
	if d := Decide(in(t0, "email", t0.Add(-31*day), second)); d.Skip || !d.SendAt.Equal(t0) {
		t.Errorf("a send older than the window does not count: %+v", d)
	}
	i = in(t0, "email", first, second)
	i.Category = "transactional"
	if d := Decide(i); !d.SendAt.Equal(t0) {
		t.Errorf("transactional is never held: %+v", d)
	}
}

func TestFrequencyCountsMessagesScheduledLater(t *testing.T) {
	// One email left a week ago and a push leaves tomorrow morning; a new email now would put the
	// thirty days before tomorrow morning over two.
	sent, later := t0.Add(-7*day), t0.Add(16*time.Hour)
	d := Decide(in(t0, "email", sent, later))
	if !d.SendAt.Equal(sent.Add(30 * day)) {
		t.Errorf("got %s, want 30 days after the oldest: %s", d.SendAt, sent.Add(30*day))
	}
}

func TestQuietHoursInTheCustomersZone(t *testing.T) {
	// 22:30 in Lima is quiet for SMS until 09:00 local the next day.
	at := time.Date(2025, 11, 3, 22, 30, 0, 0, lima)
	d := Decide(in(at, "sms"))
	if want := time.Date(2025, 11, 4, 9, 0, 0, 0, lima); !d.SendAt.Equal(want) || d.Reason != ReasonQuietHours {
		t.Errorf("got %s (%s), want %s", d.SendAt.In(lima), d.Reason, want)
	}
	// The same moment is 04:30 in Rome: quiet until 09:00 the same day there.
	i := in(at, "push")
	i.Location = rome
	if d := Decide(i); !d.SendAt.Equal(time.Date(2025, 11, 4, 9, 0, 0, 0, rome)) {
		t.Errorf("Rome: got %s", d.SendAt.In(rome))
	}
	// Email is not on the quiet list; 08:59 is quiet, 09:00 is not.
	if d := Decide(in(at, "email")); !d.SendAt.Equal(at) {
		t.Errorf("email at night: %s", d.SendAt)
	}
	if d := Decide(in(time.Date(2025, 11, 4, 9, 0, 0, 0, lima), "sms")); d.Reason != "" {
		t.Errorf("09:00 is the end of the window: %+v", d)
	}
	// A daytime window.
	i = in(time.Date(2025, 11, 4, 13, 30, 0, 0, lima), "sms")
	i.Policies = &dsl.Policies{QuietHours: &dsl.QuietHours{From: timespec.TimeOfDay{Hour: 13}, To: timespec.TimeOfDay{Hour: 15}}}
	if d := Decide(i); !d.SendAt.Equal(time.Date(2025, 11, 4, 15, 0, 0, 0, lima)) {
		t.Errorf("daytime window: %s", d.SendAt.In(lima))
	}
}

func TestDeferredIntoQuietHoursMovesOn(t *testing.T) {
	// The limit frees a slot at 23:00 local, inside quiet hours: the SMS then waits for 09:00.
	oldest := time.Date(2025, 10, 5, 23, 0, 0, 0, lima)
	i := in(time.Date(2025, 11, 3, 12, 0, 0, 0, lima), "sms", oldest, oldest.Add(day))
	d := Decide(i)
	if want := time.Date(2025, 11, 5, 9, 0, 0, 0, lima); !d.SendAt.Equal(want) || d.Reason != "frequency, quiet_hours" {
		t.Errorf("got %s (%s), want %s held by both", d.SendAt.In(lima), d.Reason, want)
	}
}
