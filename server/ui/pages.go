package ui

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/insight/page"
	"github.com/afterglowhq/afterglow/inspect"
)

//go:embed pages.html
var pages embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "-"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "-"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return "-"
	},
	"value": func(v any) string {
		if s, ok := v.(string); ok {
			return s // text as the shop wrote it, unquoted
		}
		return inspect.FormatValue(v)
	},
	"day": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "-"
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"percent": func(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" },
	"path":    url.PathEscape,
	"sorted":  sortedKeys,
	"keyText": func(m map[string]int) string { return counts(m) },
}).ParseFS(pages, "pages.html"))

// shell is what every page of the dashboard has: a title, the menu, and its own data.
type shell struct {
	Title string
	Nav   []page.Link
	Data  any
}

func render(w http.ResponseWriter, name string, s shell) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = tmpl.ExecuteTemplate(w, name, s)
}

// searchLimit is how many customers a search lists.
const searchLimit = 50

type search struct {
	Q     string
	Found []*store.Customer
	More  bool
}

func (d *dashboard) customersPage(w http.ResponseWriter, r *http.Request) {
	s := search{Q: r.URL.Query().Get("q")}
	if s.Q != "" {
		found, err := d.o.Store.FindCustomers(r.Context(), s.Q, searchLimit+1)
		if err != nil {
			d.fail(w, r, http.StatusInternalServerError, err, false)
			return
		}
		if len(found) == 1 {
			// One customer: straight to their page.
			http.Redirect(w, r, "/ui/customers/"+url.PathEscape(found[0].ID), http.StatusSeeOther)
			return
		}
		s.More = len(found) > searchLimit
		s.Found = found[:min(len(found), searchLimit)]
	}
	render(w, "customers.html", shell{Title: "Customers", Nav: nav("customers"), Data: s})
}

func (d *dashboard) customerPage(w http.ResponseWriter, r *http.Request) {
	v, err := inspect.Customer(r.Context(), d.o.Store, d.o.Workspace(), r.PathValue("id"), inspect.Options{Flow: r.URL.Query().Get("flow")})
	if err != nil {
		d.readFailed(w, r, err, false)
		return
	}
	render(w, "customer.html", shell{Title: "Customer " + v.ID, Nav: nav("customers"), Data: customerPage{CustomerView: v, Flows: d.flowIDs()}})
}

// customerPage is a customer's view and the flows the page offers to explain it against.
type customerPage struct {
	*inspect.CustomerView
	Flows []string
}

func (d *dashboard) flowsPage(w http.ResponseWriter, r *http.Request) {
	render(w, "flows.html", shell{Title: "Flows", Nav: nav("flows"), Data: d.flowIDs()})
}

func (d *dashboard) flowPage(w http.ResponseWriter, r *http.Request) {
	v, err := inspect.Flow(r.Context(), d.o.Store, d.o.Workspace(), r.PathValue("flow"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("no flow %s: %w", r.PathValue("flow"), inspect.ErrUnknownFlow)
		}
		d.readFailed(w, r, err, false)
		return
	}
	render(w, "flow.html", shell{Title: "Flow " + v.Flow, Nav: nav("flows"), Data: flowSummary(v)})
}

// flowPage is a flow's view with the totals its page opens with.
type flowPage struct {
	*inspect.FlowView
	Journeys, Holdout, Waiting, Sent, SkippedCount int
}

func flowSummary(v *inspect.FlowView) flowPage {
	p := flowPage{FlowView: v, Sent: v.Messages["sent"]}
	for _, n := range v.Skipped {
		p.SkippedCount += n
	}
	for _, ver := range v.Versions {
		for _, n := range ver.Journeys {
			p.Journeys += n
		}
		p.Holdout += ver.Holdout
		for _, w := range ver.Waiting {
			p.Waiting += w.Count
		}
	}
	return p
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// counts writes "sent 3, failed 1", or "none".
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	s := ""
	for i, k := range sortedKeys(m) {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, m[k])
	}
	return s
}
