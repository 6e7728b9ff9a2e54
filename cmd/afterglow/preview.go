package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/connectors/smtp"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/engine/unsubscribe"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func init() { addCommand(newPreviewCmd) }

type previewOptions struct {
	step, customer, db, locale, event, format string
}

func newPreviewCmd(c *cli) *cobra.Command {
	var o previewOptions
	cmd := &cobra.Command{
		Use:   "preview FLOW.yaml --step ID [--customer FILE.yaml | --db URL --customer ID]",
		Short: "Render a step's message as it would leave, in every locale",
		Long: `Renders the message of a send step exactly as the engine writes it to the outbox: sender,
recipient, subject and body, the unsubscribe link and the List-Unsubscribe header of email,
in every locale of its content (or the one --locale picks, as a customer's locale would).

The customer comes from a file (one customer's attributes, as in a scenario test) or from the
database. Templates that read the trigger's data get the event of --event, or else the example of
its type in the event catalog.`,
		Example: `  afterglow preview flows/thank-you-nps.yaml --step thanks --customer marco.yaml
  afterglow preview flows/thank-you-nps.yaml --step thanks --customer marco.yaml --locale it-IT --format json
  afterglow preview flows/thank-you-nps.yaml --step nps --db "$DATABASE_URL" --customer cus_123 --event order.json`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			if err := oneOf("format", o.format, "text", "json"); err != nil {
				return err
			}
			if o.step == "" {
				return usagef("--step is required: the id of the send step to render")
			}
			if o.customer == "" {
				return usagef("--customer is required: a YAML file of one customer's attributes, or an id with --db")
			}
			return runPreview(c, a[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.step, "step", "", "the id of the send step to render")
	f.StringVar(&o.customer, "customer", "", "a YAML file of one customer's attributes, or with --db a customer id")
	f.StringVar(&o.db, "db", "", "read the customer from this database")
	f.StringVar(&o.locale, "locale", "", "render only the variant this locale picks (default: every locale)")
	f.StringVar(&o.event, "event", "", "the trigger event's data, a YAML or JSON file (default: the event catalog's example)")
	f.StringVar(&o.format, "format", "text", "output: text or json")
	return cmd
}

// previewed is one locale's message as it would leave.
type previewed struct {
	Locale  string            `json:"locale"`
	From    string            `json:"from,omitempty"`
	To      string            `json:"to,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	message.Content
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
	Error          string `json:"error,omitempty"`
}

type previewReport struct {
	Flow      string         `json:"flow"`
	Step      string         `json:"step"`
	Channel   string         `json:"channel"`
	Connector string         `json:"connector"`
	Shape     string         `json:"shape"`
	Category  string         `json:"category"`
	Customer  string         `json:"customer"`
	Trigger   string         `json:"trigger,omitempty"`
	EventFrom string         `json:"event_from,omitempty"` // file, catalog example, or none
	EventData map[string]any `json:"event_data,omitempty"`
	Notes     []string       `json:"notes,omitempty"`
	Messages  []previewed    `json:"messages"`
}

func runPreview(c *cli, flowPath string, o previewOptions) error {
	abs, err := filepath.Abs(flowPath)
	if err != nil {
		return usageError{err}
	}
	if _, err := os.Stat(abs); err != nil {
		return usagef("%s: %v", flowPath, err)
	}
	ws, err := loadWorkspace(c, filepath.Dir(abs))
	if err != nil {
		return err
	}
	var f *dsl.Flow
	for _, fl := range ws.Flows {
		if sameFile(fl.File, abs) {
			f = fl
		}
	}
	if f == nil {
		return usagef("%s is not a flow of the workspace %s (check its folder is listed under flows: in afterglow.yaml)", flowPath, ws.Settings.File)
	}
	step := f.Index[o.step]
	if step == nil {
		ids := make([]string, 0, len(f.Index))
		for id := range f.Index {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		msg := fmt.Sprintf("%s: flow %s has no step %q", flowPath, f.ID, o.step)
		if s := diag.Closest(o.step, ids); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += "; its steps are " + strings.Join(ids, ", ")
		}
		return usagef("%s", msg)
	}
	if step.Send == nil {
		return usagef("%s: step %s of flow %s sends no message; preview renders send steps", flowPath, o.step, f.ID)
	}
	cont := engine.StepContent(f, step)
	if cont == nil {
		if step.Send.Template != "" {
			return usagef("%s: step %s uses template %s, which is not in the workspace; add templates/%s.yaml", flowPath, o.step, step.Send.Template, step.Send.Template)
		}
		return usagef("%s: step %s has no content", flowPath, o.step)
	}

	ctx := context.Background()
	var st store.Store
	var cust *store.Customer
	if o.db != "" {
		pg, err := pgstore.Open(ctx, o.db, pgstore.Options{})
		if err != nil {
			return err
		}
		st = pg
		cust, err = pg.Customer(ctx, o.customer)
		if err != nil {
			pg.Close()
			return usagef("customer %s: %v", o.customer, err)
		}
	} else {
		cust, err = readPreviewCustomer(o.customer)
		if err != nil {
			return err
		}
		st = memstore.New()
	}
	defer st.Close()

	rep := previewReport{Flow: f.ID, Step: step.ID, Channel: step.Send.Channel, Category: step.Send.Category, Customer: cust.ID,
		Shape: string(cont.Shape)}
	if ch := ws.Settings.Channels[step.Send.Channel]; ch != nil {
		rep.Connector, rep.Shape = ch.Connector, string(ch.Shape)
	}
	trig := event.Event{SpecVersion: event.SpecVersion, ID: "preview", Source: "afterglow/preview", Type: f.Trigger.Event, Subject: cust.ID}
	if f.Trigger.Event != "" {
		rep.Trigger = f.Trigger.Event
		switch {
		case o.event != "":
			data, err := readPreviewEvent(o.event)
			if err != nil {
				return err
			}
			trig.Data, rep.EventFrom = data, o.event
		default:
			if data := catalogExample(ws, f.Trigger.Event); data != nil {
				trig.Data, rep.EventFrom = data, "the event catalog's example of "+f.Trigger.Event
			} else {
				trig.Data, rep.EventFrom = map[string]any{}, "none"
				rep.Notes = append(rep.Notes, "the catalog has no example of "+f.Trigger.Event+": event and trigger data are empty; give one with --event")
			}
		}
		rep.EventData = trig.Data
		rep.Notes = append(rep.Notes, missingEventFields(cont.EventRefs, trig.Data)...)
	}

	env := func(v string) string { s, _ := dsl.Expand(v, os.LookupEnv); return s }
	secret := env(ws.Settings.Secret)
	if secret == "" {
		secret = "preview"
		rep.Notes = append(rep.Notes, "no secret in the settings (or its variable is unset): unsubscribe links are signed with a stand-in")
	}
	links := unsubscribe.Links(env(ws.Settings.PublicURL), env(ws.Settings.Listen), secret)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Logger: zerolog.Nop(), Unsubscribe: links})

	locales := []string{o.locale}
	if o.locale == "" {
		locales = locales[:0]
		for l := range cont.Locales {
			locales = append(locales, l)
		}
		sort.Strings(locales)
	}
	from := ""
	if ch := ws.Settings.Channels[step.Send.Channel]; ch != nil {
		if s, ok := ch.With["from"].(string); ok {
			from = env(s)
		}
	}
	failed := false
	for _, l := range locales {
		m, err := eng.Preview(ctx, engine.PreviewInput{Flow: f.ID, Step: step.ID, Customer: cust, Trigger: trig, Locale: l})
		if m == nil {
			return err
		}
		p := previewed{Locale: m.Locale, From: from, UnsubscribeURL: m.UnsubscribeURL}
		if p.Locale == "" {
			p.Locale = l
		}
		if err != nil {
			p.Error, failed = err.Error(), true
		}
		p.Content = m.Content
		switch m.Shape {
		case "email":
			p.To = m.To.Email
			if m.To.Name != "" && m.To.Email != "" {
				p.To = m.To.Name + " <" + m.To.Email + ">"
			}
			// As the SMTP connector writes them: for every email that carries a link, whatever its category.
			if m.UnsubscribeURL != "" {
				hs, err := smtp.UnsubscribeHeaders(m.UnsubscribeURL)
				if err != nil && p.Error == "" {
					p.Error, failed = err.Error(), true
				}
				for _, h := range hs {
					if p.Headers == nil {
						p.Headers = map[string]string{}
					}
					p.Headers[h.Name] = h.Value
				}
			}
		case "sms", "whatsapp":
			p.To = m.To.Phone
		case "push":
			p.To = m.To.PushToken
		}
		if p.To == "" && m.Shape != "webhook" {
			rep.Notes = appendOnce(rep.Notes, "the customer has no address for "+string(m.Shape)+": the engine would skip this message")
		}
		rep.Messages = append(rep.Messages, p)
	}
	if o.format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		writePreview(c.stdout, rep)
	}
	if failed {
		return exitStatus(1)
	}
	return nil
}

func appendOnce(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func writePreview(w io.Writer, r previewReport) {
	fmt.Fprintf(w, "flow %s, step %s: %s", r.Flow, r.Step, r.Channel)
	if r.Connector != "" {
		fmt.Fprintf(w, " (%s)", r.Connector)
	}
	fmt.Fprintf(w, ", %s, for customer %s\n", r.Category, r.Customer)
	if r.Trigger != "" {
		fmt.Fprintf(w, "trigger %s, data from %s\n", r.Trigger, r.EventFrom)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, m := range r.Messages {
		fmt.Fprintf(w, "\n== locale %s ==\n", m.Locale)
		if m.Error != "" {
			fmt.Fprintf(w, "error: %s\n", m.Error)
			continue
		}
		field := func(name, v string) {
			if v != "" {
				fmt.Fprintf(w, "%s: %s\n", name, v)
			}
		}
		field("From", m.From)
		field("To", m.To)
		field("Subject", m.Subject)
		keys := make([]string, 0, len(m.Headers))
		for k := range m.Headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			field(k, m.Headers[k])
		}
		field("Title", m.Title)
		field("URL", m.URL)
		field("Template", m.TemplateName)
		field("Language", m.Language)
		for i, p := range m.Params {
			fmt.Fprintf(w, "Param %d: %s\n", i+1, p)
		}
		if m.UnsubscribeURL != "" && len(m.Headers) == 0 {
			field("Unsubscribe", m.UnsubscribeURL)
		}
		body := func(name, v string) {
			if v != "" {
				fmt.Fprintf(w, "\n--- %s ---\n%s\n", name, strings.TrimRight(v, "\n"))
			}
		}
		body("text", m.Text)
		body("body", m.Body)
		body("html", m.HTML)
		if m.Payload != nil {
			b, _ := json.MarshalIndent(m.Payload, "", "  ")
			body("payload", string(b))
		}
	}
}

// missingEventFields names the trigger data the templates use and the event lacks: those render
// empty, which a preview must not let pass for the message as it will be.
func missingEventFields(refs []content.FieldRef, data map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		rest, ok := strings.CutPrefix(r.Name, "trigger.data.")
		if !ok {
			continue
		}
		key := rest
		if i := strings.IndexAny(rest, ".["); i >= 0 {
			key = rest[:i]
		}
		if _, has := data[key]; has || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, "trigger.data."+key+" is not in the event's data: it renders empty (give an event with --event)")
	}
	return out
}

// readPreviewCustomer reads one customer's attributes, as a scenario test gives them.
func readPreviewCustomer(path string) (*store.Customer, error) {
	n, err := readYAMLFile(path)
	if err != nil {
		return nil, err
	}
	if n == nil || n.Kind != yaml.MappingNode {
		line, col := 1, 1
		if n != nil {
			line, col = n.Line, n.Column
		}
		return nil, usagef("%s:%d:%d: a customer file is a mapping of attributes, like {id: marco, email: marco@example.it, locale: it-IT}", path, line, col)
	}
	attrs, _ := yamlnode.JSONValue(n).(map[string]any)
	_, idn := yamlnode.Get(n, "id")
	id, _ := attrs["id"].(string)
	if idn == nil || strings.TrimSpace(id) == "" {
		line, col := n.Line, n.Column
		if idn != nil {
			line, col = idn.Line, idn.Column
		}
		return nil, usagef("%s:%d:%d: the customer needs an id (a string), like id: marco", path, line, col)
	}
	delete(attrs, "id")
	return &store.Customer{ID: id, Attrs: attrs}, nil
}

// readYAMLFile parses a YAML (or JSON) file the user named, its errors at their line and column.
func readYAMLFile(path string) (*yaml.Node, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	var l diag.List
	root, ok := yamlnode.Parse(path, src, &l)
	if !ok || l.HasErrors() {
		return nil, usagef("%s", firstDiag(&l, path))
	}
	return yamlnode.Resolve(root), nil
}

func firstDiag(l *diag.List, path string) string {
	for _, d := range l.Items() {
		return d.String()
	}
	return path + ": cannot be read"
}

// readPreviewEvent reads an event's data: a YAML or JSON object, or a whole event with data.
func readPreviewEvent(path string) (map[string]any, error) {
	n, err := readYAMLFile(path)
	if err != nil {
		return nil, err
	}
	m, isMap := yamlnode.JSONValue(n).(map[string]any)
	if !isMap {
		return nil, usagef("%s:%d:%d: the event is an object: its data, or a whole event with data", path, n.Line, n.Column)
	}
	if d, ok := m["data"].(map[string]any); ok && m["type"] != nil {
		return d, nil
	}
	return m, nil
}

// catalogExample is the first example of the event type's data in the catalog, or nil.
func catalogExample(ws *dsl.Workspace, typ string) map[string]any {
	t := ws.Events.Lookup(typ)
	if t == nil {
		return nil
	}
	for _, d := range t.Docs {
		if exs, _ := d["examples"].([]any); len(exs) > 0 {
			if m, ok := exs[0].(map[string]any); ok {
				return m
			}
		}
	}
	return nil
}
