package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/rs/zerolog"
)

// previewWorkspace is a shop with a marketing email in two locales that uses the trigger's data.
func previewWorkspace(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"afterglow.yaml": "flows: [flows]\ntemplates: [templates]\nsecret: preview-test\npublic_url: https://shop.example\n" +
			"channels:\n  email: {connector: console}\n",
		"flows/thanks.yaml": `flow: thanks
trigger: {event: order.placed}
steps:
  - {id: wait, wait: 1d}
  - {id: thanks, send: {channel: email, template: thanks}}
`,
		"templates/thanks.yaml": `template: thanks
channel: email
default_locale: es
locales:
  es:
    subject: "Gracias, {{ customer.first_name }}"
    text: "Tu pedido {{ trigger.data.order_id }} va en camino.\nSegunda línea.\nBaja: {{ unsubscribe_url }}"
  it:
    subject: "Grazie, {{ customer.first_name }}"
    text: "Il tuo ordine {{ trigger.data.order_id }} è in viaggio.\nSeconda riga.\nDisiscriviti: {{ unsubscribe_url }}"
`,
		"marco.yaml":  "id: marco\nemail: marco@example.it\nfirst_name: Marco\nlocale: it-IT\ntimezone: Europe/Rome\n",
		"order.yaml":  "order_id: \"A-77\"\ntotal: 59.90\ncurrency: EUR\n",
		"total.yaml":  "total: 12.50\n",
		"broken.yaml": "id: marco\nemail: [marco@example.it\n",
	}
	for name, body := range files {
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

func TestPreviewRendersEveryLocaleWithTheUnsubscribeLink(t *testing.T) {
	dir := previewWorkspace(t)
	var out, errs strings.Builder
	code := dispatch([]string{"preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks",
		"--customer", filepath.Join(dir, "marco.yaml"), "--event", filepath.Join(dir, "order.yaml")}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	text := out.String()
	for _, want := range []string{
		"== locale es ==", "Subject: Gracias, Marco", "Tu pedido A-77 va en camino.\nSegunda línea.",
		"== locale it ==", "Subject: Grazie, Marco", "Il tuo ordine A-77 è in viaggio.\nSeconda riga.",
		"To: Marco <marco@example.it>", "List-Unsubscribe: <https://shop.example/u/", "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Disiscriviti: https://shop.example/u/",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview lacks %q:\n%s", want, text)
		}
	}
}

func TestPreviewJSONAndOneLocale(t *testing.T) {
	dir := previewWorkspace(t)
	var out, errs strings.Builder
	code := dispatch([]string{"preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks",
		"--customer", filepath.Join(dir, "marco.yaml"), "--locale", "it-IT", "--format", "json"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errs.String())
	}
	var r previewReport
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	if len(r.Messages) != 1 || r.Messages[0].Locale != "it" || r.Messages[0].Subject != "Grazie, Marco" {
		t.Fatalf("--locale it-IT renders the it variant alone: %+v", r.Messages)
	}
	m := r.Messages[0]
	if !strings.HasPrefix(m.UnsubscribeURL, "https://shop.example/u/") || m.Headers["List-Unsubscribe"] == "" {
		t.Errorf("a marketing email carries its unsubscribe link and header: %+v", m)
	}
	// Without --event the catalog's example of order.placed stands in for the trigger's data.
	if !strings.Contains(r.EventFrom, "catalog") || r.EventData["order_id"] == nil || strings.Contains(m.Text, "ordine  è") {
		t.Errorf("the trigger's data comes from the catalog's example: from %q, data %v, text %q", r.EventFrom, r.EventData, m.Text)
	}
}

func TestPreviewErrorsSayWhereAndWhatToDo(t *testing.T) {
	dir := previewWorkspace(t)
	flow := filepath.Join(dir, "flows/thanks.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--step", "thank", "--customer", filepath.Join(dir, "marco.yaml")}, `no step "thank"; did you mean "thanks"?`},
		{[]string{"--step", "wait", "--customer", filepath.Join(dir, "marco.yaml")}, "step wait of flow thanks sends no message"},
		{[]string{"--step", "thanks", "--customer", filepath.Join(dir, "broken.yaml")}, "broken.yaml:2:"},
		{[]string{"--step", "thanks", "--customer", filepath.Join(dir, "order.yaml")}, "order.yaml:1:1: the customer needs an id"},
	} {
		var out, errs strings.Builder
		code := dispatch(append([]string{"preview", flow}, c.args...), &out, &errs)
		if code != 2 || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%v: exit %d, want 2 and %q in:\n%s", c.args, code, c.want, errs.String())
		}
	}
}

func TestPreviewNamesAMissingTemplate(t *testing.T) {
	dir := previewWorkspace(t)
	if err := os.Remove(filepath.Join(dir, "templates/thanks.yaml")); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	code := dispatch([]string{"preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks", "--customer", filepath.Join(dir, "marco.yaml")}, &out, &errs)
	if code == 0 || !strings.Contains(errs.String(), "thanks") || !strings.Contains(errs.String(), "template") {
		t.Errorf("exit %d; a missing template is named:\n%s", code, errs.String())
	}
}

// With --db the customer is the one the database keeps, and the preview writes nothing there.
func TestPreviewReadsTheCustomerFromTheDatabase(t *testing.T) {
	dir := previewWorkspace(t)
	url := migratedSchema(t)
	ctx := context.Background()
	st, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := engine.New(st, engine.NewFlowSet(dsl.LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &diag.List{})), engine.Options{Logger: zerolog.Nop()})
	if err := eng.PutCustomer(ctx, "giulia", map[string]any{"email": "giulia@example.it", "first_name": "Giulia", "locale": "it"}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := afterglow(t, "preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks", "--db", url, "--customer", "giulia", "--locale", "it")
	if code != 0 || !strings.Contains(out, "Subject: Grazie, Giulia") || !strings.Contains(out, "To: Giulia <giulia@example.it>") {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	ms, err := st.Messages(ctx, store.MessageFilter{})
	if err != nil || len(ms) != 0 {
		t.Errorf("the preview wrote %d messages (%v)", len(ms), err)
	}
	if code, _, errs := afterglow(t, "preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks", "--db", url, "--customer", "nobody"); code != 2 || !strings.Contains(errs, "nobody") {
		t.Errorf("an unknown customer: exit %d\n%s", code, errs)
	}
}

// Data the templates use and the event lacks renders empty; the preview says which.
func TestPreviewNamesEmptyEventFields(t *testing.T) {
	dir := previewWorkspace(t)
	code, out, errs := afterglow(t, "preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks",
		"--customer", filepath.Join(dir, "marco.yaml"), "--event", filepath.Join(dir, "total.yaml"))
	if code != 0 || !strings.Contains(out, "trigger.data.order_id is not in the event's data") {
		t.Errorf("exit %d; the empty field is not named:\n%s%s", code, out, errs)
	}
	code, out, _ = afterglow(t, "preview", filepath.Join(dir, "flows/thanks.yaml"), "--step", "thanks",
		"--customer", filepath.Join(dir, "marco.yaml"), "--event", filepath.Join(dir, "order.yaml"))
	if code != 0 || strings.Contains(out, "is not in the event's data") {
		t.Errorf("exit %d; a full event is said to lack a field:\n%s", code, out)
	}
}
