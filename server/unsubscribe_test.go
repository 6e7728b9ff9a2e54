package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/engine/unsubscribe"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

const unsubscribeSettings = "database: memory\nlisten: 127.0.0.1:0\nsecret: ${AFTERGLOW_SECRET}\nchannels:\n  email: {connector: console}\n"

// serve runs the server's handlers and its batcher for the test.
func serve(t *testing.T, srv *Server) http.Handler {
	t.Helper()
	mux, err := srv.routes()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.batcher.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return mux
}

func emailConsent(t *testing.T, srv *Server, customer string) string {
	t.Helper()
	c, err := srv.store.Customer(context.Background(), customer)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := c.Consent["email"]
	switch {
	case !ok:
		return "unset"
	case v.Granted == nil:
		return "null"
	case *v.Granted:
		return "true"
	}
	return "false"
}

// A link clicked again after the customer subscribed again unsubscribes again: every click is an
// event of its own, never dropped as a repeat of the first.
func TestEveryUnsubscribeClickApplies(t *testing.T) {
	srv := newServer(t, unsubscribeSettings, map[string]string{"AFTERGLOW_SECRET": "s3cret"})
	h := serve(t, srv)
	ctx := context.Background()
	ingest := func(id string, at time.Time, typ string, data map[string]any) {
		t.Helper()
		ev := event.Event{SpecVersion: "1.0", ID: id, Source: "shop", Type: typ, Subject: "ana", Time: at, Data: data}
		if _, err := srv.Engine().Ingest(ctx, []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	click := func(what string) {
		t.Helper()
		link := "/u/" + unsubscribe.Sign([]byte("s3cret"), unsubscribe.Token{CustomerID: "ana", Channel: "email", MessageID: "m1"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click")))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "unsubscribed") {
			t.Fatalf("%s: %d %s; want 200 saying so", what, rec.Code, rec.Body)
		}
	}
	ingest("c1", time.Now().Add(-time.Hour), "customer.created", map[string]any{"email": "a@x.com", "consent": map[string]any{"email": true}})
	click("first click")
	if c := emailConsent(t, srv, "ana"); c != "false" {
		t.Fatalf("after the first click the email consent is %s; want false", c)
	}
	ingest("resubscribed", time.Now(), "consent.updated", map[string]any{"channel": "email", "granted": true})
	if c := emailConsent(t, srv, "ana"); c != "true" {
		t.Fatalf("after subscribing again the email consent is %s; want true", c)
	}
	click("the same link clicked again")
	if c := emailConsent(t, srv, "ana"); c != "false" {
		t.Errorf("after clicking the old link again the email consent is %s; want false", c)
	}
}

// The page speaks the customer's language as messages do: the locale, then its language, then a
// default; a customer without one is spoken to in the browser's language, else in English.
func TestUnsubscribePageSpeaksTheCustomersLanguage(t *testing.T) {
	srv := newServer(t, unsubscribeSettings, map[string]string{"AFTERGLOW_SECRET": "s3cret"})
	h := serve(t, srv)
	for id, locale := range map[string]any{"pe": "es-PE", "it": "it", "us": "en-US", "jp": "ja", "none": nil} {
		attrs := map[string]any{"email": id + "@x.com"}
		if locale != nil {
			attrs["locale"] = locale
		}
		if err := srv.Engine().PutCustomer(context.Background(), id, attrs); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		customer, acceptLanguage string
		lang, ask, done          string
	}{
		{"pe", "", "es", "¿Dejar de recibir estos mensajes?", "Te has dado de baja"},
		{"it", "en", "it", "Non vuoi più ricevere questi messaggi?", "Iscrizione annullata"},
		{"us", "it", "en", "Stop receiving these messages?", "You are unsubscribed"},
		{"jp", "", "en", "Stop receiving these messages?", "You are unsubscribed"},
		{"none", "it-IT,it;q=0.9,en;q=0.8", "it", "Non vuoi più ricevere questi messaggi?", "Iscrizione annullata"},
		{"none", "", "en", "Stop receiving these messages?", "You are unsubscribed"},
	} {
		link := "/u/" + unsubscribe.Sign([]byte("s3cret"), unsubscribe.Token{CustomerID: c.customer, Channel: "email", MessageID: "m1"})
		for _, step := range []struct {
			method, want string
		}{{http.MethodGet, c.ask}, {http.MethodPost, c.done}} {
			req := httptest.NewRequest(step.method, link, nil)
			if c.acceptLanguage != "" {
				req.Header.Set("Accept-Language", c.acceptLanguage)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.Contains(body, step.want) || !strings.Contains(body, `<html lang="`+c.lang+`">`) {
				t.Errorf("%s %s of %s (Accept-Language %q): %d; want %s saying %q:\n%s", step.method, "the page", c.customer, c.acceptLanguage, rec.Code, c.lang, step.want, body)
			}
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/u/not-a-token", nil)
	req.Header.Set("Accept-Language", "es-MX")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Enlace no válido") {
		t.Errorf("a forged link with a Spanish browser: %d %s; want 404 in Spanish", rec.Code, rec.Body)
	}
}

// Without a secret, unsubscribe links cannot be signed: an engine does not start on flows that
// write marketing email, and a reload that brings one in is refused, while transactional mail is
// unaffected.
func TestMarketingEmailNeedsTheSecret(t *testing.T) {
	const settings = "database: memory\nlisten: 127.0.0.1:0\nsecret: ${AFTERGLOW_SECRET:-}\nchannels:\n  email: {connector: console}\n"
	srv := newServer(t, settings, nil) // no flows yet: nothing needs the secret
	dir := filepath.Dir(srv.opts.SettingsFile)
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "flows", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("receipt.yaml", `flow: receipt
trigger: {event: order.placed}
steps:
  - {id: receipt, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: Receipt, text: Thanks}}}}}
`)
	if err := srv.reloader.Reload(); err != nil {
		t.Fatalf("a transactional email flow without a secret: %v; want it loaded", err)
	}
	write("promo.yaml", `flow: promo
trigger: {event: order.placed}
steps:
  - {id: offer, send: {channel: email, content: {default_locale: en, locales: {en: {subject: Offer, text: "10% off. Leave: {{ unsubscribe_url }}"}}}}}
`)
	if err := srv.reloader.Reload(); err == nil || !strings.Contains(err.Error(), "no `secret`") || !strings.Contains(err.Error(), "flow promo") {
		t.Errorf("a reload bringing marketing email without a secret: %v; want it refused naming the secret and the flow", err)
	}
	_, err := New(context.Background(), Options{SettingsFile: srv.opts.SettingsFile, Log: zerolog.Nop(),
		OpenStore: func(context.Context, string) (store.Store, error) { return memstore.New(), nil },
		Lookup:    func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), "no `secret`") {
		t.Errorf("starting on marketing email without a secret: %v; want a clear error", err)
	}
	s2, err := New(context.Background(), Options{SettingsFile: srv.opts.SettingsFile, Log: zerolog.Nop(),
		OpenStore: func(context.Context, string) (store.Store, error) { return memstore.New(), nil },
		Lookup: func(k string) (string, bool) {
			if k == "AFTERGLOW_SECRET" {
				return "s3cret", true
			}
			return "", false
		}})
	if err != nil {
		t.Fatalf("starting with the secret set: %v", err)
	}
	s2.listener.Close()
}
