// Package ui is the dashboard `afterglow run` serves to the users of `ui.users`: the report under
// /ui/ with its JSON under /api/report, customer search, and the inspect pages of a customer or a
// flow with their JSON under /api/. Every page shares one shell and the report's style sheet, and
// loads nothing from anywhere else.
package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/page"
	"github.com/afterglowhq/afterglow/inspect"
)

// Options are what the dashboard reads.
type Options struct {
	// Users may sign in: name -> password.
	Users map[string]string
	// Report sums the history for the report.
	Report insight.Source
	// Location and Currency are the shop's; with no currency, that of most orders (when Report
	// can tell, as the PostgreSQL source can), else USD.
	Location *time.Location
	Currency string
	// Store answers the customer and flow pages.
	Store store.Reader
	// Workspace is the workspace the engine runs (its flows); nil reads the last one saved.
	Workspace func() *dsl.Workspace
	Log       zerolog.Logger
	Now       func() time.Time
}

// mainCurrency is a report source that can tell the currency of most orders.
type mainCurrency interface {
	MainCurrency(ctx context.Context) (string, error)
}

type dashboard struct {
	o     Options
	users []credential
}

// credential is a user's name and password, hashed so that comparing them takes the same time
// whatever their length.
type credential struct{ user, pass [32]byte }

// New returns the handler of /ui/ and /api/. Every user must have a password.
func New(o Options) (http.Handler, error) {
	if len(o.Users) == 0 {
		return nil, errors.New("ui: no users: name at least one in ui.users")
	}
	d := &dashboard{o: o}
	names := make([]string, 0, len(o.Users))
	for name := range o.Users {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if o.Users[name] == "" {
			return nil, fmt.Errorf("ui.users.%s: the password is empty (is its environment variable set?)", name)
		}
		d.users = append(d.users, credential{sha256.Sum256([]byte(name)), sha256.Sum256([]byte(o.Users[name]))})
	}
	if d.o.Location == nil {
		d.o.Location = time.UTC
	}
	if d.o.Now == nil {
		d.o.Now = time.Now
	}
	if d.o.Workspace == nil {
		d.o.Workspace = func() *dsl.Workspace { return nil }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/{$}", d.reportPage)
	mux.HandleFunc("GET /ui/style.css", d.style)
	mux.HandleFunc("GET /ui/customers", d.customersPage)
	mux.HandleFunc("GET /ui/customers/{id}", d.customerPage)
	mux.HandleFunc("GET /ui/flows", d.flowsPage)
	mux.HandleFunc("GET /ui/flows/{flow}", d.flowPage)
	mux.HandleFunc("GET /api/report", d.reportAPI)
	mux.HandleFunc("GET /api/customers/{id}", d.customerAPI)
	mux.HandleFunc("GET /api/flows/{flow}", d.flowAPI)
	return d.secured(mux), nil
}

// secured asks for a user of ui.users and sets the headers every answer carries: customers'
// personal data is neither cached nor framed, and the pages load nothing but their own style sheet.
func (d *dashboard) secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		user, pass, ok := r.BasicAuth()
		if !ok || !d.allowed(user, pass) {
			if ok {
				// Who tried, never with what.
				d.o.Log.Warn().Str("user", user).Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Msg("dashboard: wrong user or password")
			}
			h.Set("WWW-Authenticate", `Basic realm="Afterglow", charset="UTF-8"`)
			http.Error(w, "sign in with a user of ui.users", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed compares with every user, each in constant time, so that neither which user exists nor
// how much of a password matched shows in the time taken.
func (d *dashboard) allowed(user, pass string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
	match := 0
	for _, c := range d.users {
		match |= subtle.ConstantTimeCompare(u[:], c.user[:]) & subtle.ConstantTimeCompare(p[:], c.pass[:])
	}
	return match == 1
}

func (d *dashboard) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	_, _ = w.Write(page.CSS())
}

// query reads the period and window of a report request: by default the twelve months up to this
// one in the shop's time zone, and a window of 14 days.
func (d *dashboard) query(r *http.Request) (insight.Query, error) {
	v := r.URL.Query()
	from, to, err := insight.ParsePeriod(v.Get("from"), v.Get("to"), d.o.Now(), d.o.Location)
	if err != nil {
		return insight.Query{}, err
	}
	window := insight.DefaultWindow
	if s := v.Get("window"); s != "" {
		if window, err = timespec.ParseCompound(s); err != nil || window <= 0 {
			return insight.Query{}, fmt.Errorf("window %q: give a duration like 14d or 36h", s)
		}
	}
	q := insight.Query{From: from, To: to, Location: d.o.Location, Currency: d.o.Currency, Window: window}
	if q.Currency == "" {
		q.Currency = "USD"
		if mc, ok := d.o.Report.(mainCurrency); ok {
			c, err := mc.MainCurrency(r.Context())
			if err != nil {
				return q, err
			}
			if c != "" {
				q.Currency = c
			}
		}
	}
	return q, q.Check()
}

func (d *dashboard) report(w http.ResponseWriter, r *http.Request, asJSON bool) (*insight.Report, insight.Query, bool) {
	q, err := d.query(r)
	if err != nil {
		d.fail(w, r, http.StatusBadRequest, err, asJSON)
		return nil, q, false
	}
	rep, err := insight.Compute(r.Context(), d.o.Report, q)
	if err != nil {
		d.fail(w, r, http.StatusInternalServerError, err, asJSON)
		return nil, q, false
	}
	return rep, q, true
}

func (d *dashboard) reportAPI(w http.ResponseWriter, r *http.Request) {
	rep, _, ok := d.report(w, r, true)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = rep.WriteJSON(w)
}

func (d *dashboard) reportPage(w http.ResponseWriter, r *http.Request) {
	rep, q, ok := d.report(w, r, false)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Render(w, rep, page.Options{Title: "Afterglow", Stylesheet: "/ui/style.css", Nav: nav("report"),
		Picker: &page.Picker{Action: "/ui/", From: q.From.String(), To: q.To.String()}})
}

func (d *dashboard) customerAPI(w http.ResponseWriter, r *http.Request) {
	v, err := inspect.Customer(r.Context(), d.o.Store, d.o.Workspace(), r.PathValue("id"), inspect.Options{Flow: r.URL.Query().Get("flow")})
	if err != nil {
		d.readFailed(w, r, err, true)
		return
	}
	writeJSON(w, v)
}

func (d *dashboard) flowAPI(w http.ResponseWriter, r *http.Request) {
	v, err := inspect.Flow(r.Context(), d.o.Store, d.o.Workspace(), r.PathValue("flow"))
	if err != nil {
		d.readFailed(w, r, err, true)
		return
	}
	writeJSON(w, v)
}

// readFailed answers a read of a customer or flow that failed: not found, or the database's error.
func (d *dashboard) readFailed(w http.ResponseWriter, r *http.Request, err error, asJSON bool) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.fail(w, r, http.StatusNotFound, errors.New("no such customer"), asJSON)
	case errors.Is(err, inspect.ErrUnknownFlow):
		d.fail(w, r, http.StatusNotFound, err, asJSON)
	default:
		d.fail(w, r, http.StatusInternalServerError, err, asJSON)
	}
}

// fail answers an error: JSON for the API, a page for a person.
func (d *dashboard) fail(w http.ResponseWriter, r *http.Request, status int, err error, asJSON bool) {
	msg := err.Error()
	if status >= 500 {
		d.o.Log.Error().Err(err).Str("path", r.URL.Path).Msg("dashboard: reading the database failed")
		msg = "reading the database failed; the server's log says why"
	}
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	w.WriteHeader(status)
	render(w, "error.html", shell{Title: http.StatusText(status), Nav: nav(""), Data: msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// nav is the menu, with the current page marked.
func nav(current string) []page.Link {
	return []page.Link{
		{Name: "Report", Href: "/ui/", Current: current == "report"},
		{Name: "Customers", Href: "/ui/customers", Current: current == "customers"},
		{Name: "Flows", Href: "/ui/flows", Current: current == "flows"},
	}
}

// flowIDs are the flows the engine runs, sorted.
func (d *dashboard) flowIDs() []string {
	var out []string
	if ws := d.o.Workspace(); ws != nil {
		for _, f := range ws.Flows {
			out = append(out, f.ID)
		}
	}
	sort.Strings(out)
	return out
}
