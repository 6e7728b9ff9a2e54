package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/insight/memsource"
	"github.com/afterglowhq/afterglow/inspect"
)

var now = time.Date(2025, 10, 15, 12, 0, 0, 0, time.UTC)

func newDashboard(t *testing.T, log *bytes.Buffer) http.Handler {
	t.Helper()
	st := memstore.New()
	err := st.InTx(context.Background(), func(tx store.Tx) error {
		cs, err := tx.LockCustomers(context.Background(), []string{"cus_1", "cus_2"}, now)
		if err != nil {
			return err
		}
		cs[0].Attrs["email"] = "Ana@Example.com"
		return tx.SaveCustomers(context.Background(), cs)
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Users: map[string]string{"marketing": "s3cret-pw"}, Report: memsource.New(st), Currency: "PEN",
		Store: st, Log: zerolog.New(log), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, path, user, pass string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestSignIn(t *testing.T) {
	var log bytes.Buffer
	h := newDashboard(t, &log)
	for _, c := range []struct{ user, pass string }{{"", ""}, {"marketing", "wrong-guess"}, {"marketing", "s3cret-p"}, {"nobody", "s3cret-pw"}} {
		w := get(h, "/ui/", c.user, c.pass)
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Basic realm="Afterglow", charset="UTF-8"` {
			t.Errorf("%q/%q: %d %q, want 401 asking for Basic credentials", c.user, c.pass, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	if strings.Contains(log.String(), "wrong-guess") || !strings.Contains(log.String(), "marketing") {
		t.Errorf("the log of refused sign-ins: %s; want who, never the password", log.String())
	}
	w := get(h, "/ui/", "marketing", "s3cret-pw")
	if w.Code != http.StatusOK {
		t.Fatalf("signed in: %d %s", w.Code, w.Body)
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body := w.Body.String()
	// The default period: the twelve months up to this one.
	for _, want := range []string{`value="2024-11"`, `value="2025-10"`, `href="/ui/style.css"`, `<a href="/ui/customers">Customers</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the report page lacks %s", want)
		}
	}
	if strings.Contains(body, "<style") || strings.Contains(body, "style=") || strings.Contains(body, "<script") {
		t.Errorf("the report page carries inline style or script, which its CSP refuses")
	}
}

func TestReportAPI(t *testing.T) {
	h := newDashboard(t, &bytes.Buffer{})
	w := get(h, "/api/report?from=2025-01&to=2025-03&window=7d", "marketing", "s3cret-pw")
	var r struct {
		Period struct{ From, To, Currency string } `json:"period"`
		Months []struct{ Month string }            `json:"months"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || w.Code != 200 {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	if r.Period.From != "2025-01" || r.Period.To != "2025-03" || r.Period.Currency != "PEN" || len(r.Months) != 3 {
		t.Errorf("got %+v", r)
	}
	for q, want := range map[string]string{"from=2025-13": "from", "to=soon": "to", "window=fortnight": "window", "from=2025-06&to=2025-01": ""} {
		w := get(h, "/api/report?"+q, "marketing", "s3cret-pw")
		var e struct{ Error string }
		if w.Code != http.StatusBadRequest || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" || !strings.Contains(e.Error, want) {
			t.Errorf("%s: %d %s; want 400 with an error naming %q", q, w.Code, w.Body, want)
		}
	}
}

func TestCustomerSearch(t *testing.T) {
	h := newDashboard(t, &bytes.Buffer{})
	w := get(h, "/ui/customers?q=ana@example.com", "marketing", "s3cret-pw")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/ui/customers/cus_1" {
		t.Errorf("one customer found: %d to %q, want their page", w.Code, w.Header().Get("Location"))
	}
	w = get(h, "/ui/customers?q=cus_", "marketing", "s3cret-pw")
	if body := w.Body.String(); !strings.Contains(body, `href="/ui/customers/cus_1"`) || !strings.Contains(body, `href="/ui/customers/cus_2"`) {
		t.Errorf("two customers found: %s", body)
	}
	if w = get(h, "/ui/customers?q=nobody", "marketing", "s3cret-pw"); !strings.Contains(w.Body.String(), `id="none"`) {
		t.Errorf("none found: %s", w.Body)
	}
	w = get(h, "/ui/customers/cus_1", "marketing", "s3cret-pw")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "Ana@Example.com") || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("the customer's page: %d %s", w.Code, w.Body)
	}
	w = get(h, "/api/customers/cus_1", "marketing", "s3cret-pw")
	var c struct {
		ID         string         `json:"id"`
		Attributes map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil || c.ID != "cus_1" || c.Attributes["email"] != "Ana@Example.com" {
		t.Errorf("the customer's JSON: %s", w.Body)
	}
	if w = get(h, "/api/customers/nobody", "marketing", "s3cret-pw"); w.Code != http.StatusNotFound {
		t.Errorf("an unknown customer: %d", w.Code)
	}
}

func TestNoUserWithoutPassword(t *testing.T) {
	if _, err := New(Options{Users: map[string]string{"marketing": ""}}); err == nil || !strings.Contains(err.Error(), "marketing") {
		t.Errorf("an empty password: %v", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Errorf("no users: no error")
	}
}

func TestFlowSummary(t *testing.T) {
	v := &inspect.FlowView{Flow: "f", Messages: map[string]int{"sent": 7, "skipped": 5}, Skipped: map[string]int{"holdout": 4, "consent": 1},
		Versions: []inspect.VersionView{{Journeys: map[string]int{"active": 2, "completed": 10}, Holdout: 5, Waiting: []inspect.StepWaiting{{Step: "a", Count: 2}}},
			{Journeys: map[string]int{"completed": 3}, Holdout: 1}}}
	if p := flowSummary(v); p.Journeys != 15 || p.Holdout != 6 || p.Waiting != 2 || p.Sent != 7 || p.SkippedCount != 5 {
		t.Errorf("got %+v", p)
	}
}
