// Package graph draws a flow as a Mermaid flowchart: its trigger, steps with their waits and
// channels, branches with their conditions, split weights, exits and goal. GitHub renders Mermaid
// in pull requests and READMEs, so a marketer sees the shape of a change where it is reviewed.
package graph

import (
	"fmt"
	"io"
	"strings"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/timespec"
)

// Mermaid writes f as a Mermaid flowchart.
func Mermaid(w io.Writer, f *dsl.Flow) error {
	g := &drawer{f: f}
	g.line("flowchart TD")
	g.line("  start([%q])", label(triggerText(f)))
	if len(f.Steps) > 0 {
		g.line("  start --> %s", id(f.Steps[0]))
	} else {
		g.line("  start --> done")
	}
	g.steps(f.Steps)
	g.line("  done([completed])")
	var notes []string
	for _, e := range f.Exits {
		notes = append(notes, "exit "+exitText(e))
	}
	if f.Goal != nil {
		notes = append(notes, goalText(f.Goal))
	}
	if f.Holdout > 0 {
		notes = append(notes, fmt.Sprintf("holdout %g%%", f.Holdout*100))
	}
	if f.Priority != dsl.PriorityNormal {
		notes = append(notes, f.Priority.String()+" priority")
	}
	if len(notes) > 0 {
		g.line("  rules[/%q/]", label(strings.Join(notes, "\n")))
		g.line("  rules -.- start")
	}
	g.line("  classDef send fill:#fde8e1,stroke:#e07a5f")
	g.line("  classDef wait fill:#eef2f7,stroke:#8aa1b8")
	g.line("  classDef ending fill:#eee,stroke:#999")
	_, err := io.WriteString(w, g.b.String())
	return err
}

type drawer struct {
	f *dsl.Flow
	b strings.Builder
}

func (g *drawer) line(format string, args ...any) {
	fmt.Fprintf(&g.b, format+"\n", args...)
}

func id(s *dsl.Step) string { return "s_" + strings.ReplaceAll(s.ID, "-", "_") }

func target(s *dsl.Step) string {
	if s == nil {
		return "done"
	}
	return id(s)
}

func firstOr(steps []*dsl.Step, next *dsl.Step) string {
	if len(steps) > 0 {
		return id(steps[0])
	}
	return target(next)
}

func (g *drawer) steps(steps []*dsl.Step) {
	for _, s := range steps {
		drawers[s.Kind](g, id(s), s)
	}
}

// drawers draws each kind of step the flow language declares; a test fails when a kind has none.
// It is filled by init because the if and split drawers draw their branches through it.
var drawers map[dsl.StepKind]func(g *drawer, n string, s *dsl.Step)

func init() {
	drawers = map[dsl.StepKind]func(g *drawer, n string, s *dsl.Step){
		dsl.KindSend: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s[%q]:::send", n, label(sendText(s)))
			g.line("  %s --> %s", n, target(s.Next))
		},
		dsl.KindWait: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s[%q]:::wait", n, label(s.ID+"\nwait "+timespec.FormatDuration(s.Wait)))
			g.line("  %s --> %s", n, target(s.Next))
		},
		dsl.KindWaitUntil: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s[%q]:::wait", n, label(s.ID+"\n"+waitUntilText(s.WaitUntil)))
			g.line("  %s --> %s", n, target(s.Next))
		},
		dsl.KindWaitFor: func(g *drawer, n string, s *dsl.Step) {
			w := s.WaitFor
			text := s.ID + "\nwait for " + w.Event
			if w.When != nil {
				text += "\nwhen " + w.When.Source
			}
			g.line("  %s{{%q}}:::wait", n, label(text))
			g.line("  %s -->|%s| %s", n, edge(w.Event), target(s.Next))
			if w.ExitOnTimeout {
				g.line("  %s_timeout([exit: timed out]):::ending", n)
				g.line("  %s -->|%s| %s_timeout", n, edge("after "+timespec.FormatDuration(w.Timeout)), n)
			} else {
				g.line("  %s -->|%s| %s", n, edge("timeout "+timespec.FormatDuration(w.Timeout)), target(s.Next))
			}
		},
		dsl.KindIf: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s{%q}", n, label(s.ID+"\n"+s.If.Source))
			g.line("  %s -->|yes| %s", n, firstOr(s.Then, s.Next))
			g.line("  %s -->|no| %s", n, firstOr(s.Else, s.Next))
			g.steps(s.Then)
			g.steps(s.Else)
		},
		dsl.KindSplit: func(g *drawer, n string, s *dsl.Step) {
			total := 0
			for _, v := range s.Split.Variants {
				total += v.Weight
			}
			g.line("  %s{%q}", n, label(s.ID+"\nsplit"))
			for _, v := range s.Split.Variants {
				pct := 0.0
				if total > 0 {
					pct = 100 * float64(v.Weight) / float64(total)
				}
				g.line("  %s -->|%s| %s", n, edge(fmt.Sprintf("%s %.0f%%", v.Name, pct)), firstOr(v.Steps, s.Next))
				g.steps(v.Steps)
			}
		},
		dsl.KindUpdate: func(g *drawer, n string, s *dsl.Step) {
			var parts []string
			for _, x := range s.Update.Set {
				parts = append(parts, "set "+x.Name+" = "+x.Expr.Source)
			}
			for _, x := range s.Update.Add {
				parts = append(parts, "add "+x.Expr.Source+" to "+x.Name)
			}
			g.line("  %s[%q]", n, label(s.ID+"\n"+strings.Join(parts, "\n")))
			g.line("  %s --> %s", n, target(s.Next))
		},
		dsl.KindEmit: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s>%q]", n, label(s.ID+"\nemit "+s.Emit.Event))
			g.line("  %s --> %s", n, target(s.Next))
		},
		dsl.KindExit: func(g *drawer, n string, s *dsl.Step) {
			g.line("  %s([%q]):::ending", n, label("exit: "+s.Exit))
		},
	}
}

func sendText(s *dsl.Step) string {
	snd := s.Send
	what := snd.Template
	if what == "" {
		what = "inline content"
	}
	return fmt.Sprintf("%s\n%s · %s\n%s", s.ID, snd.Channel, what, snd.Category)
}

func waitUntilText(w *dsl.WaitUntil) string {
	text := "wait until " + w.Time.Source
	if w.Offset != 0 {
		sign := "+"
		if w.Offset < 0 {
			sign = ""
		}
		text += " " + sign + timespec.FormatDuration(w.Offset)
	}
	if w.At != nil {
		text += "\nat " + w.At.String()
	}
	if len(w.Days) > 0 {
		var ds []string
		for _, d := range w.Days {
			ds = append(ds, timespec.Weekdays[d])
		}
		text += " on " + strings.Join(ds, ", ")
	}
	return text
}

func triggerText(f *dsl.Flow) string {
	t := f.Trigger
	var s string
	switch t.Kind {
	case dsl.TriggerEvent:
		s = "on " + t.Event
	case dsl.TriggerSchedule:
		if t.Cron != nil {
			zone := "the workspace's time zone"
			if t.Location != nil {
				zone = t.Location.String()
			}
			s = "every " + t.Cron.String() + " (" + zone + ")"
		} else {
			s = "at " + t.At.Format("2006-01-02 15:04 -07:00")
		}
		if t.Audience != nil {
			s += "\nfor customers where " + t.Audience.Source
		}
	case dsl.TriggerDate:
		s = "every year on " + t.Date.Source
		if t.Offset != 0 {
			s += " " + timespec.FormatDuration(t.Offset)
		}
		if t.AtTime != nil {
			s += " at " + t.AtTime.String()
		}
	}
	if t.When != nil {
		s += "\nwhen " + t.When.Source
	}
	switch f.Entry.Repeat {
	case dsl.RepeatNever:
		s += "\nonce per customer"
	case dsl.RepeatRestart:
		s += "\nrestarts on each trigger"
	case dsl.RepeatAfter:
		s += "\nat most once per " + timespec.FormatDuration(f.Entry.After)
	}
	if f.Entry.Key != nil {
		s += "\none journey per " + f.Entry.Key.Source
	}
	return f.ID + "\n" + s
}

func exitText(e *dsl.ExitRule) string {
	s := ""
	if e.Event != "" {
		s = "on " + e.Event
	}
	if e.When != nil {
		s = strings.TrimSpace(s + " when " + e.When.Source)
	}
	return s
}

func goalText(g *dsl.Goal) string {
	s := "goal: " + g.Event
	if g.Within > 0 {
		s += " within " + timespec.FormatDuration(g.Within)
	}
	if !g.Exit {
		s += " (journey goes on)"
	}
	return s
}

// label makes text safe inside a quoted Mermaid label: quotes and angle brackets become entities,
// line breaks become <br/>.
func label(s string) string {
	s = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
	return strings.ReplaceAll(s, "\n", "<br/>")
}

func edge(s string) string {
	return `"` + label(s) + `"`
}
