package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

// Report is what a simulation produced: the timeline of messages and a summary per flow.
type Report struct {
	Start, Until time.Time
	Location     *time.Location
	Events       int
	Customers    int
	Messages     []*store.Message
	Flows        []FlowSummary
	// Names and Zones label customers: a readable name, and the zone they read their messages in.
	Names map[string]string
	Zones map[string]*time.Location
	// Shown says what the timeline and summary are limited to ("" when they show everything);
	// Full prints each message's whole content under its line.
	Shown string
	Full  bool
}

// Label names customers by first name and last initial when the store knows them.
func Label(c *store.Customer) string {
	first, _ := c.Attrs["first_name"].(string)
	last, _ := c.Attrs["last_name"].(string)
	if first == "" {
		return c.ID
	}
	if l := []rune(last); len(l) > 0 {
		return first + " " + string(l[0]) + "."
	}
	return first
}

// FlowSummary counts one flow's journeys and messages.
type FlowSummary struct {
	Flow      string         `json:"flow"`
	Entered   int            `json:"entered"`
	Active    int            `json:"active"`
	Completed int            `json:"completed"`
	Exited    int            `json:"exited"`
	Converted int            `json:"converted"`
	Holdout   int            `json:"holdout"`
	Sent      map[string]int `json:"messages_by_channel"`
	Skipped   map[string]int `json:"skipped_by_reason"`
	Failed    int            `json:"failed"`
	Deferred  map[string]int `json:"deferred_by_reason"`
}

// Summarize builds the report from the store after a run.
func Summarize(ms []*store.Message, js []*store.Journey, flows []string) []FlowSummary {
	by := map[string]*FlowSummary{}
	get := func(f string) *FlowSummary {
		s, ok := by[f]
		if !ok {
			s = &FlowSummary{Flow: f, Sent: map[string]int{}, Skipped: map[string]int{}, Deferred: map[string]int{}}
			by[f] = s
		}
		return s
	}
	for _, f := range flows {
		get(f)
	}
	for _, j := range js {
		s := get(j.FlowID)
		s.Entered++
		if j.Holdout {
			s.Holdout++
		}
		switch j.Status {
		case store.Active:
			s.Active++
		case store.Completed:
			s.Completed++
		case store.Exited:
			s.Exited++
		case store.Converted:
			s.Converted++
		}
		if j.Status != store.Converted && !j.ConvertedAt.IsZero() {
			s.Converted++ // reached the goal without leaving: counted as a conversion too
		}
	}
	for _, m := range ms {
		s := get(m.FlowID)
		switch m.Status {
		case store.Skipped:
			s.Skipped[m.Reason]++
		case store.Failed:
			s.Failed++
		default:
			s.Sent[m.Channel]++
			for _, r := range strings.Split(m.Reason, ", ") {
				if r != "" {
					s.Deferred[r]++
				}
			}
		}
	}
	out := make([]FlowSummary, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Flow < out[j].Flow })
	return out
}

// WriteText prints the timeline, one day a block, then the summary table.
func (r *Report) WriteText(w io.Writer) error {
	loc := r.Location
	if loc == nil {
		loc = time.UTC
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Simulated %s to %s: %d events, %d customers, %d messages.\n",
		r.Start.In(loc).Format("Mon 2 Jan 2006 15:04"), r.Until.In(loc).Format("Mon 2 Jan 2006 15:04"), r.Events, r.Customers, len(r.Messages))
	if r.Shown != "" {
		fmt.Fprintf(&b, "Shown: %s (everything was simulated; the messages and the summary are theirs).\n", r.Shown)
	}
	fmt.Fprintf(&b, "Times are in %s; a customer's own time, when it differs, is in brackets.\n", loc)
	lastDay := ""
	later := 0
	for _, m := range r.Messages {
		if m.SendAt.After(r.Until) && m.Status != store.Skipped {
			later++
			continue
		}
		t := m.SendAt.In(loc)
		if d := t.Format("Mon 2 Jan 2006"); d != lastDay {
			fmt.Fprintf(&b, "\n%s\n", d)
			lastDay = d
		}
		what := fmt.Sprintf("%q", first(m))
		switch {
		case m.Status == store.Skipped:
			what = "skipped: " + m.Reason
		case m.Status == store.Failed:
			what = "FAILED: " + m.Reason
		case m.Reason != "":
			what += "  (held: " + m.Reason + ")"
		}
		name := m.CustomerID
		if n := r.Names[m.CustomerID]; n != "" {
			name = n
		}
		local := "       "
		if z := r.Zones[m.CustomerID]; z != nil && m.SendAt.In(z).Format("15:04") != t.Format("15:04") {
			local = "(" + m.SendAt.In(z).Format("15:04") + ")"
		}
		fmt.Fprintf(&b, "  %s %s  %-14s %-36s %-9s %s\n", t.Format("15:04"), local, clip(name, 14), clip(m.FlowID+"/"+m.StepID, 36), m.Channel, what)
		if r.Full && m.Status != store.Skipped {
			writeContent(&b, m)
		}
	}
	if later > 0 {
		fmt.Fprintf(&b, "\n… and %d more messages scheduled after %s (held by a limit or a later wait); run longer with --until to see them.\n",
			later, r.Until.In(loc).Format("Mon 2 Jan 2006"))
	}
	b.WriteString("\n")
	writeSummary(&b, r.Flows)
	_, err := io.WriteString(w, b.String())
	return err
}

// contentIndent sets a message's content under its timeline line.
const contentIndent = "        "

// writeContent prints a message's whole content, indented: the subject or title, then every line
// of its text or body.
func writeContent(b *strings.Builder, m *store.Message) {
	c := m.Content
	line := func(label, v string) {
		if v = strings.TrimSpace(v); v != "" {
			fmt.Fprintf(b, "%s%s: %s\n", contentIndent, label, strings.Join(strings.Fields(v), " "))
		}
	}
	line("subject", c.Subject)
	line("title", c.Title)
	line("url", c.URL)
	if c.TemplateName != "" {
		line("template", c.TemplateName+" "+strings.Join(c.Params, " | "))
	}
	for _, body := range []string{c.Text, c.Body} {
		if body = strings.TrimRight(body, "\n "); strings.TrimSpace(body) == "" {
			continue
		}
		for _, l := range strings.Split(body, "\n") {
			fmt.Fprintf(b, "%s\n", strings.TrimRight(contentIndent+"| "+l, " \r"))
		}
	}
	if c.Payload != nil {
		if js, err := json.Marshal(c.Payload); err == nil {
			fmt.Fprintf(b, "%spayload: %s\n", contentIndent, js)
		}
	}
}

// summaryLegend explains each column of the summary, one a line.
var summaryLegend = []string{
	"entered    journeys started in the flow",
	"active     journeys still under way at the end (waiting at a step)",
	"completed  journeys that ran past their last step",
	"exited     journeys that left early: an exit rule or step, a timeout, a restart",
	"converted  journeys whose goal was reached",
	"messages   messages that leave, by channel (the held ones included)",
	"held       of those, sent later than their step asked, by reason (a frequency limit, quiet hours)",
	"skipped    never sent, by reason (no consent, no address, a limit under skip, the holdout)",
}

// writeSummary prints the table of flows with each column as wide as its widest cell, then the
// legend.
func writeSummary(b *strings.Builder, flows []FlowSummary) {
	head := []string{"flow", "entered", "active", "completed", "exited", "converted", "messages", "held", "skipped"}
	rows := [][]string{head}
	for _, s := range flows {
		rows = append(rows, []string{s.Flow, fmt.Sprint(s.Entered), fmt.Sprint(s.Active), fmt.Sprint(s.Completed), fmt.Sprint(s.Exited),
			fmt.Sprint(s.Converted), counts(s.Sent), counts(s.Deferred), counts(s.Skipped)})
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(cell)))
			switch {
			case i == len(row)-1:
				line.WriteString(cell)
			case i >= 1 && i <= 5: // numbers, right-aligned
				line.WriteString(pad + cell + "  ")
			default:
				line.WriteString(cell + pad + "  ")
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	b.WriteString("\n")
	for _, l := range summaryLegend {
		b.WriteString("  " + l + "\n")
	}
}

// WriteJSON prints the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	type msg struct {
		At       time.Time `json:"at"`
		Customer string    `json:"customer"`
		Flow     string    `json:"flow"`
		Step     string    `json:"step"`
		Channel  string    `json:"channel"`
		Category string    `json:"category"`
		Status   string    `json:"status"`
		Reason   string    `json:"reason,omitempty"`
		Locale   string    `json:"locale,omitempty"`
		Summary  string    `json:"summary,omitempty"`
	}
	out := struct {
		Start     time.Time     `json:"start"`
		Until     time.Time     `json:"until"`
		Events    int           `json:"events"`
		Customers int           `json:"customers"`
		Messages  []msg         `json:"messages"`
		Flows     []FlowSummary `json:"flows"`
	}{Start: r.Start, Until: r.Until, Events: r.Events, Customers: r.Customers, Messages: []msg{}, Flows: r.Flows}
	for _, m := range r.Messages {
		out.Messages = append(out.Messages, msg{m.SendAt, m.CustomerID, m.FlowID, m.StepID, m.Channel, m.Category, m.Status, m.Reason, m.Locale, first(m)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// OneLine is a message in one line: its subject, title or first line of text.
func OneLine(m *store.Message) string { return first(m) }

func first(m *store.Message) string {
	c := m.Content
	for _, s := range []string{c.Subject, c.Title, c.Text, c.Body, c.TemplateName} {
		if s = strings.TrimSpace(s); s != "" {
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				s = s[:i]
			}
			return clip(s, 60)
		}
	}
	if c.Payload != nil {
		return "(webhook payload)"
	}
	return ""
}
