package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/enginetest"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
)

// refusing fails every send with an error that quotes the recipient, as some providers do.
type refusing struct{}

func (refusing) Send(_ context.Context, m message.Message) (connectors.Result, error) {
	return connectors.Result{}, connectors.Permanent(errors.New("number " + m.To.Phone + " of " + m.To.Name + " is blocked"))
}

// The log of a running engine says what left and what failed, and which journeys began and ended,
// by ids: an operator can follow a message without the log holding anyone's address or name.
func TestTheLogNamesMessagesAndJourneysWithoutPersonalData(t *testing.T) {
	ws := enginetest.Workspace(t, "", map[string]string{"flows/hello.yaml": `
flow: hello
trigger: {event: customer.created}
steps:
  - {id: hi, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Hello {{ customer.first_name }}", text: "Hi"}}}}}
  - {id: text, send: {channel: sms, category: transactional, content: {default_locale: en, locales: {en: {text: "Hi {{ customer.first_name }}"}}}}}
`})
	var out bytes.Buffer
	log := zerolog.New(zerolog.SyncWriter(&out)).Level(zerolog.DebugLevel)
	st := memstore.New()
	defer st.Close()
	clk := clock.NewVirtual(t0)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: log})
	ctx := context.Background()
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		t.Fatal(err)
	}
	ev := enginetest.Ev(0, "customer.created", "ana", map[string]any{"email": "ana.quispe@example.pe", "phone": "+51987654321",
		"first_name": "Anastasia", "last_name": "Quispe"})
	ev.Time = t0
	if _, err := eng.Ingest(ctx, []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	console, _ := connectors.Lookup("console")
	c, err := console.New(map[string]any{}, connectors.Options{Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	d := &Dispatcher{Store: st, Clock: clk, Log: log, Lease: time.Minute, Channels: map[string]*Channel{
		"email": {Name: "email", Connector: c, Kind: "console"},
		"sms":   {Name: "sms", Connector: refusing{}, Kind: "twilio"},
	}}
	if _, err := d.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	find := func(msg, level string) map[string]any {
		for _, l := range lines {
			if l["message"] == msg && l["level"] == level {
				return l
			}
		}
		t.Fatalf("no %s line %q in the log:\n%s", level, msg, out.String())
		return nil
	}
	sent := find("message sent", "info")
	for k, want := range map[string]any{"customer": "ana", "flow": "hello", "step": "hi", "channel": "email", "connector": "console", "attempts": 1.0} {
		if sent[k] != want {
			t.Errorf("message sent: %s = %v, want %v", k, sent[k], want)
		}
	}
	if sent["message"] == "" || sent["journey"] == nil || sent["journey"] == "" {
		t.Errorf("message sent names no journey: %v", sent)
	}
	failed := find("message failed", "info")
	for k, want := range map[string]any{"customer": "ana", "step": "text", "channel": "sms", "connector": "twilio", "attempts": 1.0} {
		if failed[k] != want {
			t.Errorf("message failed: %s = %v, want %v", k, failed[k], want)
		}
	}
	if e, _ := failed["error"].(string); !strings.Contains(e, "is blocked") {
		t.Errorf("message failed does not say why: %v", failed)
	}
	entered := find("journey entered", "debug")
	if entered["flow"] != "hello" || entered["customer"] != "ana" || entered["version"] == "" || entered["step"] != "hi" {
		t.Errorf("journey entered: %v", entered)
	}
	ended := find("journey ended", "debug")
	if ended["status"] != "completed" || ended["journey"] != entered["journey"] {
		t.Errorf("journey ended: %v", ended)
	}
	for _, personal := range []string{"ana.quispe@example.pe", "+51987654321", "987654321", "Anastasia", "Quispe"} {
		if strings.Contains(out.String(), personal) {
			t.Errorf("the log holds %q:\n%s", personal, out.String())
		}
	}
}
