package inspect

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteText writes a customer view for a person: sections of aligned lines, the flow's
// explanation last, where the answer to "why not?" is.
func (v *CustomerView) WriteText(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "customer %s", v.ID)
	if v.CreatedAt != nil {
		fmt.Fprintf(w, " (created %s)", stamp(*v.CreatedAt))
	}
	fmt.Fprintln(w)
	for _, k := range sortedKeys(v.Attributes) {
		fmt.Fprintf(w, "  %s: %s\n", k, FormatValue(v.Attributes[k]))
	}
	fmt.Fprintln(w, "\nconsent")
	if len(v.Consent) == 0 {
		fmt.Fprintln(w, "  none given on any channel (marketing needs a yes)")
	}
	for _, c := range v.Consent {
		fmt.Fprintf(w, "  %-9s %-9s", c.Channel, c.Status)
		if c.At != nil {
			fmt.Fprintf(w, " since %s", stamp(*c.At))
		}
		if c.EventID != "" {
			fmt.Fprintf(w, ", by %s %s", c.EventType, c.EventID)
		}
		fmt.Fprintln(w)
	}
	o := v.Orders
	fmt.Fprintf(w, "\norders: %d counted, total spent %s", o.OrdersCount, o.TotalSpent)
	if o.FirstOrderAt != nil {
		fmt.Fprintf(w, ", first %s, last %s", stamp(*o.FirstOrderAt), stamp(*o.LastOrderAt))
	}
	fmt.Fprintln(w)
	for _, x := range o.List {
		fmt.Fprintf(w, "  %s  %s %s", x.OrderID, x.Total, x.Currency)
		if x.PlacedAt != nil {
			fmt.Fprintf(w, "  placed %s", stamp(*x.PlacedAt))
		}
		if x.Refunded != "0.00" {
			fmt.Fprintf(w, "  refunded %s", x.Refunded)
		}
		if x.CancelledAt != nil {
			fmt.Fprintf(w, "  cancelled %s (not counted)", stamp(*x.CancelledAt))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nevents (the latest %d)\n", len(v.Events))
	for _, e := range v.Events {
		fmt.Fprintf(w, "  %s  %-20s %s\n", stamp(e.Time), e.Type, e.ID)
	}
	fmt.Fprintln(w, "\njourneys")
	if len(v.Journeys) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, j := range v.Journeys {
		writeJourney(w, j)
	}
	fmt.Fprintln(w, "\nmessages")
	if len(v.Messages) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, m := range v.Messages {
		writeMessage(w, "  ", m)
	}
	if v.Flow != nil {
		writeDecisions(w, v.Flow)
	}
	return w.Flush()
}

func writeJourney(w io.Writer, j JourneyView) {
	fmt.Fprintf(w, "  %s  %s (version %s)  %s at step %s", j.ID, j.Flow, short(j.Version), j.Status, j.Step)
	if j.WaitsFor != "" {
		fmt.Fprintf(w, ", waiting for %s", j.WaitsFor)
	}
	if j.WakesAt != nil {
		fmt.Fprintf(w, ", wakes %s", stamp(*j.WakesAt))
	}
	fmt.Fprintf(w, "\n    %s arm, entered %s", j.Arm, stamp(j.EnteredAt))
	if j.EndedAt != nil {
		fmt.Fprintf(w, ", ended %s", stamp(*j.EndedAt))
	}
	if j.Reason != "" {
		fmt.Fprintf(w, " (%s)", j.Reason)
	}
	if j.Converted != nil {
		fmt.Fprintf(w, ", converted %s", stamp(*j.Converted))
	}
	fmt.Fprintln(w)
}

func writeMessage(w io.Writer, indent string, m MessageView) {
	fmt.Fprintf(w, "%s%s/%s  %s %s  %s", indent, m.Flow, m.Step, m.Channel, m.Category, m.Status)
	if m.Reason != "" {
		fmt.Fprintf(w, " (%s)", m.Reason)
	}
	if m.Why != "" {
		fmt.Fprintf(w, ": %s", m.Why)
	}
	fmt.Fprintf(w, ", scheduled %s", stamp(m.ScheduledAt))
	if m.SentAt != nil {
		fmt.Fprintf(w, ", sent %s", stamp(*m.SentAt))
	}
	if len(m.Attempts) > 0 {
		fmt.Fprintf(w, ", %d attempts", len(m.Attempts))
	}
	if m.LastError != "" {
		fmt.Fprintf(w, ", last error: %s", m.LastError)
	}
	fmt.Fprintln(w)
}

func writeDecisions(w io.Writer, f *FlowDecisions) {
	fmt.Fprintf(w, "\nflow %s (version %s)", f.Flow, short(f.Version))
	if f.Trigger != "" {
		fmt.Fprintf(w, ": starts on %s", f.Trigger)
		if f.When != "" {
			fmt.Fprintf(w, " when %s", f.When)
		}
	}
	fmt.Fprintf(w, "; repeat: %s", f.Repeat)
	if f.Key != "" {
		fmt.Fprintf(w, ", key %s", f.Key)
	}
	if f.Holdout > 0 {
		fmt.Fprintf(w, ", holdout %g%%", f.Holdout*100)
	}
	fmt.Fprintln(w)
	if f.Note != "" {
		fmt.Fprintf(w, "  (%s)\n", f.Note)
	}
	if a := f.Audience; a != nil {
		held := "holds"
		if !a.Held {
			held = "does not hold: the schedule leaves the customer out"
		}
		fmt.Fprintf(w, "  audience %s %s now\n", a.Source, held)
		for _, r := range a.Reads {
			fmt.Fprintf(w, "      %s = %s\n", r.Path, FormatValue(r.Value))
		}
	}
	if f.Trigger != "" && len(f.Decisions) == 0 {
		fmt.Fprintf(w, "  the customer has no %s event: nothing could start the flow\n", f.Trigger)
	}
	for _, d := range f.Decisions {
		verdict := "not entered"
		if d.Entered {
			verdict = "entered"
			if d.Arm == ArmHoldout {
				verdict = "entered, in the holdout"
			}
		}
		fmt.Fprintf(w, "  %s %s: %s (%s)\n", stamp(d.Time), d.EventID, verdict, d.Outcome)
		if d.When != nil {
			held := "held"
			if !d.When.Held {
				held = "did not hold"
			}
			fmt.Fprintf(w, "    when %s %s", d.When.Source, held)
			if d.When.Error != "" {
				fmt.Fprintf(w, " (error: %s)", d.When.Error)
			}
			fmt.Fprintln(w)
			for _, r := range d.When.Reads {
				fmt.Fprintf(w, "      %s = %s\n", r.Path, FormatValue(r.Value))
			}
		}
		fmt.Fprintf(w, "    %s\n", d.Reason)
		for _, m := range d.Messages {
			writeMessage(w, "    message ", m)
		}
	}
}

// WriteText writes a flow view for a person: each version's journeys by status, then where the
// active ones wait.
func (v *FlowView) WriteText(out io.Writer) error {
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "flow %s\n", v.Flow)
	if len(v.Versions) == 0 {
		fmt.Fprintln(w, "  no journeys yet")
	}
	for _, vv := range v.Versions {
		cur := ""
		if vv.Version == v.Current {
			cur = " (current)"
		}
		fmt.Fprintf(w, "version %s%s: %s", short(vv.Version), cur, counts(vv.Journeys))
		if vv.Holdout > 0 {
			fmt.Fprintf(w, "; %d in the holdout", vv.Holdout)
		}
		fmt.Fprintln(w)
		for _, s := range vv.Waiting {
			fmt.Fprintf(w, "  %-20s %6d waiting", s.Step, s.Count)
			if s.WaitsFor != "" {
				fmt.Fprintf(w, " for %s", s.WaitsFor)
			}
			if s.NextWake != nil {
				fmt.Fprintf(w, ", next wakes %s", stamp(*s.NextWake))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "messages: %s\n", counts(v.Messages))
	if len(v.Skipped) > 0 {
		fmt.Fprintf(w, "skipped: %s\n", counts(v.Skipped))
	}
	return w.Flush()
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// short is the start of a version hash, enough to tell versions apart.
func short(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}

// FormatValue writes a value as JSON (strings quoted, so that "" and unset differ), unset as nil.
func FormatValue(x any) string {
	if x == nil {
		return "nil (unset)"
	}
	if t, ok := x.(time.Time); ok {
		return stamp(t)
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprint(x)
	}
	return string(b)
}
