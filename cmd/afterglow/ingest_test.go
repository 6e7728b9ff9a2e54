package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ingestWorkspace is a workspace with a thank-you flow on every order.
func ingestWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"afterglow.yaml": "flows: [flows]\ntemplates: [flows]\nchannels:\n  email: {connector: console}\n",
		"flows/thanks.yaml": `flow: thanks
trigger: {event: order.placed}
steps:
  - {id: thanks, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Thanks", text: "t"}}}}}
`,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "afterglow.yaml")
}

func orderLine(id string, at time.Time) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"shop","type":"order.placed","subject":"c-%s","time":%q,"data":{"order_id":%q,"total":"5","currency":"USD"}}`+"\n",
		id, id, at.UTC().Format(time.RFC3339), id)
}

// --history treats every event as late, however recent: a backfill starts no journey. Without it
// a recent order starts its journeys as over HTTP, and an old one is late.
func TestIngestHistoryStartsNothing(t *testing.T) {
	url := migratedSchema(t)
	config := ingestWorkspace(t)
	file := filepath.Join(t.TempDir(), "events.ndjson")
	now := time.Now()
	write := func(lines ...string) {
		if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(orderLine("h1", now.Add(-time.Minute)), orderLine("h2", now.Add(-48*time.Hour)))
	if code, _, errs := afterglow(t, "ingest", "--config", config, "--db", url, "--history", file); code != 0 {
		t.Fatalf("ingest --history: exit %d: %s", code, errs)
	}
	if n := count(t, url, `SELECT count(*) FROM journeys`); n != 0 {
		t.Errorf("ingest --history started %d journeys; want none", n)
	}
	if n := count(t, url, `SELECT count(*) FROM customers WHERE orders_count = 1`); n != 2 {
		t.Errorf("%d customers with their order after the backfill; want 2", n)
	}

	write(orderLine("n1", now.Add(-time.Minute)), orderLine("n2", now.Add(-48*time.Hour)))
	if code, _, errs := afterglow(t, "ingest", "--config", config, "--db", url, file); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errs)
	}
	if n := count(t, url, `SELECT count(*) FROM journeys WHERE customer_id = 'c-n1'`); n != 1 {
		t.Errorf("a recent order ingested without --history started %d journeys; want 1", n)
	}
	if n := count(t, url, `SELECT count(*) FROM journeys WHERE customer_id = 'c-n2'`); n != 0 {
		t.Errorf("an order two days old started %d journeys; want none (it is late)", n)
	}

	write(orderLine("f1", now), orderLine("f2", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)))
	code, _, errs := afterglow(t, "ingest", "--config", config, "--db", url, file)
	if code != 1 || !strings.Contains(errs, "line 2") || !strings.Contains(errs, "before 1970") {
		t.Errorf("a line dated year 0001: exit %d: %s; want 1 naming line 2 and the time", code, errs)
	}
}

// eventsWorkspace writes a workspace with no flows and one event type of its own, quiz.completed,
// which needs skin_type.
func eventsWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"afterglow.yaml":                    "flows: [flows]\ntemplates: [templates]\nevents: [events]\n",
		"flows/.keep":                       "",
		"templates/.keep":                   "",
		"events/quiz.completed.schema.json": `{"type": "object", "required": ["skin_type"], "properties": {"skin_type": {"type": "string"}}}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ndjsonEvent(id, typ, data string) string {
	return `{"specversion":"1.0","id":"` + id + `","source":"shop","type":"` + typ + `","subject":"ana","time":"2025-10-14T15:00:00Z","data":` + data + "}\n"
}

// TestIngestStopsAtTheFirstEventThatDoesNotFit: the line of an event whose data does not fit its
// type (here a type of the workspace's own) stops the run with its number and problem; the lines
// before it are committed, though they were read in the same batch.
func TestIngestStopsAtTheFirstEventThatDoesNotFit(t *testing.T) {
	url := migratedSchema(t)
	dir := eventsWorkspace(t)
	file := filepath.Join(dir, "events.ndjson")
	lines := ndjsonEvent("o1", "order.placed", `{"order_id":"1","total":"59.90","currency":"PEN"}`) +
		ndjsonEvent("q1", "quiz.completed", `{"skin_type":"dry"}`) +
		"# a comment\n" +
		ndjsonEvent("o2", "order.placed", `{"order_id":"2","total":12,"currency":"PEN"}`) +
		ndjsonEvent("q2", "quiz.completed", `{"concerns":["pores"]}`) +
		ndjsonEvent("o3", "order.placed", `{"order_id":"3","total":5,"currency":"PEN"}`)
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := afterglow(t, "ingest", "--config", filepath.Join(dir, "afterglow.yaml"), "--db", url, "--batch", "100", file)
	if code != 1 || !strings.Contains(stderr, "line 5") || !strings.Contains(stderr, "data.skin_type: is required for quiz.completed") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 naming line 5 and data.skin_type", code, stderr)
	}
	if n := count(t, url, "SELECT count(*) FROM events"); n != 3 {
		t.Errorf("%d events stored, want the 3 before the bad line", n)
	}
}

// TestSimulateRefusesEventsThatDoNotFit: a simulation's events are checked as ingest checks them,
// and the first that does not fit is named by its line.
func TestSimulateRefusesEventsThatDoNotFit(t *testing.T) {
	dir := eventsWorkspace(t)
	file := filepath.Join(dir, "events.ndjson")
	lines := ndjsonEvent("q1", "quiz.completed", `{"skin_type":"dry"}`) + ndjsonEvent("o1", "order.placed", `{"order_id":"1","total":"lots","currency":"PEN"}`)
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := afterglow(t, "simulate", "--events", file, dir)
	if code != 2 || !strings.Contains(stderr, "line 2") || !strings.Contains(stderr, `data.total: must be a decimal amount`) {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 naming line 2 and data.total", code, stderr)
	}
}

// An ingest writes messages that leave later: marketing email among them needs its unsubscribe
// link, so ingesting into flows that write it without a secret is refused.
func TestIngestNeedsTheSecretForMarketingEmail(t *testing.T) {
	url := migratedSchema(t)
	config := ingestWorkspace(t)
	flow := filepath.Join(filepath.Dir(config), "flows", "thanks.yaml")
	src, err := os.ReadFile(flow)
	if err != nil {
		t.Fatal(err)
	}
	marketing := strings.Replace(string(src), "category: transactional, ", "", 1)
	marketing = strings.Replace(marketing, `text: "t"`, `text: "{{ unsubscribe_url }}"`, 1)
	if err := os.WriteFile(flow, []byte(marketing), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(file, []byte(orderLine("m1", time.Now())), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := afterglow(t, "ingest", "--config", config, "--db", url, file)
	if code != 1 || !strings.Contains(errs, "no `secret`") {
		t.Errorf("ingest into a marketing email flow without a secret: exit %d: %s; want 1 naming the secret", code, errs)
	}
	if n := count(t, url, `SELECT count(*) FROM events`); n != 0 {
		t.Errorf("%d events stored; want none", n)
	}
}

// TestEventsCommand: the catalog as text, with a workspace's own types, and as the Markdown page
// docs/events.md is.
func TestEventsCommand(t *testing.T) {
	code, out, errs := afterglow(t, "events", eventsWorkspace(t))
	if code != 0 || !strings.Contains(out, "quiz.completed (the workspace's") || !strings.Contains(out, "  skin_type  string  required") ||
		!strings.Contains(out, "  total ") {
		t.Fatalf("events WORKSPACE: exit %d\n%s%s", code, out, errs)
	}
	code, md, errs := afterglow(t, "events", "--markdown")
	want, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || md != string(want) {
		t.Errorf("events --markdown: exit %d %s; it must print docs/events.md as it is", code, errs)
	}
}
