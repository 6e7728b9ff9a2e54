package graph

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
)

const flow = `
flow: every-kind
trigger: {event: order.placed, when: 'event.data.total > 0 && event.data.currency == "PEN"'}
entry: {key: event.data.order_id, repeat: restart}
exit: [{event: order.refunded}]
goal: {event: review.submitted, within: 14d, exit: false}
holdout: 10%
priority: high
steps:
  - {id: hello, send: {channel: email, template: thank-you, category: transactional}}
  - {id: delivered, wait_for: {event: order.delivered, timeout: 10d, on_timeout: exit}}
  - {id: morning, wait_until: {time: now, offset: 1d, at: "10:00", days: [mon, tue]}}
  - id: rich
    if: customer.total_spent > 100
    then: [{id: points, update: {add: {points: 10}}}]
  - id: ab
    split: {variants: [{name: a, weight: 3, steps: [{id: tell, emit: {event: tier.changed}}]}, {name: b, weight: 1, steps: []}]}
  - {id: pause, wait: 2w}
  - {id: stop, exit: {reason: done}}
`

func TestMermaidShowsEveryKind(t *testing.T) {
	var l diag.List
	f := dsl.ParseFlow("every-kind.yaml", []byte(flow), nil, &l)
	if f == nil || l.HasErrors() {
		t.Fatalf("flow: %v", l.Items())
	}
	var b strings.Builder
	if err := Mermaid(&b, f); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"flowchart TD",
		`start(["every-kind<br/>on order.placed<br/>when event.data.total #gt; 0 && event.data.currency == #quot;PEN#quot;<br/>restarts on each trigger<br/>one journey per event.data.order_id"])`,
		`s_hello["hello<br/>email · thank-you<br/>transactional"]:::send`,
		`s_delivered -->|"order.delivered"| s_morning`,
		`s_delivered -->|"after 10d"| s_delivered_timeout`,
		`s_morning["morning<br/>wait until now +1d<br/>at 10:00 on mon, tue"]:::wait`,
		`s_rich -->|yes| s_points`,
		`s_rich -->|no| s_ab`,
		`s_points["points<br/>add 10 to points"]`,
		`s_ab -->|"a 75%"| s_tell`,
		`s_ab -->|"b 25%"| s_pause`,
		`s_tell>"tell<br/>emit tier.changed"]`,
		`s_pause["pause<br/>wait 2w"]:::wait`,
		`s_stop(["exit: done"]):::ending`,
		"goal: review.submitted within 2w (journey goes on)",
		"holdout 10%",
		"high priority",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s\nin:\n%s", want, out)
		}
	}
}

// A kind of step the graph cannot draw would vanish from the picture a marketer reviews.
func TestEveryStepKindIsDrawn(t *testing.T) {
	for _, k := range dsl.StepKinds {
		if drawers[k] == nil {
			t.Errorf("the graph has no drawer for step kind %s: add one to drawers", k)
		}
	}
	if len(drawers) != len(dsl.StepKinds) {
		t.Errorf("the graph draws %d step kinds, the language declares %d", len(drawers), len(dsl.StepKinds))
	}
}

// The rules box shows what changes who gets a message, even on a flow with no exit or goal.
func TestMermaidShowsPriorityAndHoldoutAlone(t *testing.T) {
	var l diag.List
	f := dsl.ParseFlow("plain.yaml", []byte(`
flow: plain
trigger: {event: order.placed}
holdout: 5%
priority: low
steps:
  - {id: hello, send: {channel: email, template: thank-you}}
`), nil, &l)
	if f == nil || l.HasErrors() {
		t.Fatalf("flow: %v", l.Items())
	}
	var b strings.Builder
	if err := Mermaid(&b, f); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, `rules[/"holdout 5%<br/>low priority"/]`) {
		t.Errorf("no rules box with the holdout and the priority in:\n%s", out)
	}
}
