package scenario

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
)

// compare checks the outcome against the expectations and, on a difference, writes a report that
// shows what was expected, what happened, and the whole timeline of the run.
func compare(sc *dsl.Scenario, out *outcome) (string, bool) {
	var sent, skipped []*store.Message
	for _, m := range out.messages {
		if m.Status == store.Skipped {
			skipped = append(skipped, m)
		} else {
			sent = append(sent, m)
		}
	}
	var b strings.Builder
	ok := true
	ex := sc.Expect

	used := make([]bool, len(sent))
	var missing []dsl.ExpectMessage
	for _, e := range ex.Messages {
		found := false
		for i, m := range sent {
			if !used[i] && matchMessage(e, m) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, e)
		}
	}
	var unexpected []*store.Message
	if ex.Only {
		for i, m := range sent {
			if !used[i] {
				unexpected = append(unexpected, m)
			}
		}
	}
	if len(missing) > 0 || len(unexpected) > 0 {
		ok = false
		b.WriteString("  messages:\n")
		for _, e := range missing {
			fmt.Fprintf(&b, "    - expected, not sent:  %s   (line %d)\n", describeExpected(sc, e), e.Line)
			if near := nearest(e, sent, used); near != nil {
				fmt.Fprintf(&b, "        closest sent:      %s\n", describeMessage(sc, near))
			}
		}
		for _, m := range unexpected {
			fmt.Fprintf(&b, "    + sent, not expected:  %s\n", describeMessage(sc, m))
		}
	}

	skipUsed := make([]bool, len(skipped))
	var skipMissing []dsl.ExpectSkip
	for _, e := range ex.Skipped {
		found := false
		for i, m := range skipped {
			if !skipUsed[i] && matchSkip(e, m) {
				skipUsed[i], found = true, true
				break
			}
		}
		if !found {
			skipMissing = append(skipMissing, e)
		}
	}
	if len(skipMissing) > 0 {
		ok = false
		b.WriteString("  skipped:\n")
		for _, e := range skipMissing {
			fmt.Fprintf(&b, "    - expected a skip, none: %s   (line %d)\n", describeSkip(e), e.Line)
		}
	}

	if diff := compareJourneys(sc, ex.Journeys, out.journeys, out.why); diff != "" {
		ok = false
		b.WriteString("  journeys:\n" + diff)
	}
	if ok {
		return "", true
	}
	b.WriteString("  what happened:\n")
	b.WriteString(Timeline(sc.Start, out.messages, "    "))
	for _, j := range out.journeys {
		fmt.Fprintf(&b, "    journey  %-10s %-26s %s\n", j.CustomerID, j.FlowID, describeJourney(sc.Start, j))
	}
	return b.String(), false
}

func matchMessage(e dsl.ExpectMessage, m *store.Message) bool {
	return (e.At == nil || e.At.Equal(m.SendAt)) && eq(e.Customer, m.CustomerID) && eq(e.Flow, m.FlowID) &&
		eq(e.Step, m.StepID) && eq(e.Channel, m.Channel) && (e.Contains == "" || strings.Contains(text(m), e.Contains))
}

func matchSkip(e dsl.ExpectSkip, m *store.Message) bool {
	return eq(e.Customer, m.CustomerID) && eq(e.Flow, m.FlowID) && eq(e.Step, m.StepID) && eq(e.Channel, m.Channel) && eq(e.Reason, m.Reason)
}

func eq(want, got string) bool { return want == "" || want == got }

// nearest finds the unmatched message that agrees with an expectation on most fields, to show
// next to it: usually the same step at another time, or with other text.
func nearest(e dsl.ExpectMessage, ms []*store.Message, used []bool) *store.Message {
	best, score := -1, 0
	for i, m := range ms {
		if used[i] {
			continue
		}
		s := 0
		for _, ok := range []bool{e.Customer != "" && e.Customer == m.CustomerID, e.Flow != "" && e.Flow == m.FlowID,
			e.Step != "" && e.Step == m.StepID, e.Channel != "" && e.Channel == m.Channel} {
			if ok {
				s++
			}
		}
		if s > score {
			best, score = i, s
		}
	}
	if best < 0 || score < 2 {
		return nil
	}
	return ms[best]
}

func compareJourneys(sc *dsl.Scenario, want []dsl.ExpectJourney, got []*store.Journey, why map[[2]string][]string) string {
	type key struct{ customer, flow string }
	var order []key
	groups := map[key][]dsl.ExpectJourney{}
	for _, e := range want {
		k := key{e.Customer, e.Flow}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e)
	}
	var b strings.Builder
	for _, k := range order {
		var actual []*store.Journey
		for _, j := range got {
			if j.CustomerID == k.customer && (k.flow == "" || j.FlowID == k.flow) {
				actual = append(actual, j)
			}
		}
		sort.SliceStable(actual, func(i, j int) bool { return actual[i].EnteredAt.Before(actual[j].EnteredAt) })
		exp := groups[k]
		bad := len(exp) != len(actual)
		for i := 0; i < len(exp) && i < len(actual) && !bad; i++ {
			e, j := exp[i], actual[i]
			bad = !eq(e.Status, j.Status) || e.Holdout != nil && *e.Holdout != j.Holdout || !eq(e.Step, j.StepID)
		}
		if !bad {
			continue
		}
		flow := k.flow
		if flow == "" {
			flow = "(any flow)"
		}
		fmt.Fprintf(&b, "    %s in %s:\n", k.customer, flow)
		for _, e := range exp {
			fmt.Fprintf(&b, "      expected: %s   (line %d)\n", describeExpectedJourney(e), e.Line)
		}
		if len(actual) == 0 {
			b.WriteString("      actual:   no journey\n")
		}
		for _, line := range why[[2]string{k.customer, k.flow}] {
			fmt.Fprintf(&b, "      why:      %s\n", line)
		}
		for _, j := range actual {
			fmt.Fprintf(&b, "      actual:   %s\n", describeJourney(sc.Start, j))
		}
	}
	return b.String()
}

// Offset writes t as an offset from start the way tests write it (0s, 5d, 2d3h).
func Offset(start, t time.Time) string {
	d := t.Sub(start)
	if d < 0 {
		return "-" + Offset(t, start)
	}
	if d == 0 {
		return "0s"
	}
	var parts []string
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.d; n > 0 {
			parts = append(parts, fmt.Sprintf("%d%s", n, u.s))
			d -= n * u.d
		}
	}
	return strings.Join(parts, "")
}

func describeExpected(sc *dsl.Scenario, e dsl.ExpectMessage) string {
	at := "any time"
	if e.At != nil {
		at = Offset(sc.Start, *e.At)
	}
	s := fmt.Sprintf("%-8s %-10s %-34s %-9s", at, or(e.Customer), or(e.Flow)+"/"+or(e.Step), or(e.Channel))
	if e.Contains != "" {
		s += fmt.Sprintf(" containing %q", e.Contains)
	}
	return s
}

func describeMessage(sc *dsl.Scenario, m *store.Message) string {
	s := fmt.Sprintf("%-8s %-10s %-34s %-9s %q", Offset(sc.Start, m.SendAt), m.CustomerID, m.FlowID+"/"+m.StepID, m.Channel, firstLine(m))
	if m.Status == store.Failed {
		s += "  FAILED: " + m.Reason
	} else if m.Reason != "" {
		s += "  (deferred: " + m.Reason + ")"
	}
	return s
}

func describeSkip(e dsl.ExpectSkip) string {
	return fmt.Sprintf("%s %s/%s %s reason %s", or(e.Customer), or(e.Flow), or(e.Step), or(e.Channel), or(e.Reason))
}

func describeExpectedJourney(e dsl.ExpectJourney) string {
	s := "status " + or(e.Status)
	if e.Step != "" {
		s += ", at step " + e.Step
	}
	if e.Holdout != nil {
		s += fmt.Sprintf(", holdout %v", *e.Holdout)
	}
	return s
}

func describeJourney(start time.Time, j *store.Journey) string {
	s := fmt.Sprintf("status %s, at step %s, entered %s", j.Status, j.StepID, Offset(start, j.EnteredAt))
	if j.Holdout {
		s += ", holdout"
	}
	if j.Reason != "" {
		s += " (" + j.Reason + ")"
	}
	if !j.WakeAt.IsZero() {
		s += ", wakes " + Offset(start, j.WakeAt)
	}
	return s
}

func or(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// Timeline lists messages in send order, one a line: offset, customer, flow/step, channel, the
// first line of the content, and any skip, deferral or failure reason.
func Timeline(start time.Time, ms []*store.Message, indent string) string {
	var b strings.Builder
	for _, m := range ms {
		line := fmt.Sprintf("%s%-8s %-10s %-34s %-9s %q", indent, Offset(start, m.SendAt), m.CustomerID, m.FlowID+"/"+m.StepID, m.Channel, firstLine(m))
		switch {
		case m.Status == store.Skipped:
			line = fmt.Sprintf("%s%-8s %-10s %-34s %-9s skipped: %s", indent, Offset(start, m.SendAt), m.CustomerID, m.FlowID+"/"+m.StepID, m.Channel, m.Reason)
		case m.Status == store.Failed:
			line += "  FAILED: " + m.Reason
		case m.Reason != "":
			line += "  (deferred: " + m.Reason + ")"
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
