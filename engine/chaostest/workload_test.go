package chaostest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/shopspring/decimal"
)

// Time moves in steps of twelve hours, and every duration in the flows is a whole number of
// steps: each wait ends exactly on a step, where it races the events of that step.
const stepLen = 12 * time.Hour

// t0 is step 0.
var t0 = time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)

// scheduleStep is when vip-early fans out (t0 + 15d). No event is sent at that step, so the
// audience is the same whichever customers the fan-out reaches first.
const scheduleStep = 30

func at(step int) time.Time { return t0.Add(time.Duration(step) * stepLen) }

// mail is an inline email content block.
func mail(subject string) string {
	return `{default_locale: en, locales: {en: {subject: "` + subject + `", text: "Hi {{ customer.first_name }}"}}}`
}

// flows exercise each step kind and rule whose outcome a customer's events decide: per-order keys,
// wait, wait_for with a timeout that exits, if/else, a split, update and emit, exit on an event
// and on a condition, a goal with a window, an entry rule with a duration, and a schedule.
var flows = map[string]string{
	"flows/thanks.yaml": `
flow: thanks
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: thank, send: {channel: email, category: transactional, content: ` + mail("Thanks for {{ trigger.data.order_id }}") + `}}
`,
	"flows/nps.yaml": `
flow: nps
trigger: {event: order.placed}
entry: {key: event.data.order_id}
exit:
  - {event: order.refunded, when: event.data.order_id == trigger.data.order_id}
steps:
  - id: delivered
    wait_for: {event: order.delivered, when: event.data.order_id == trigger.data.order_id, timeout: 10d, on_timeout: exit}
  - {id: settle, wait: 3d}
  - id: big
    if: trigger.data.total >= 100
    then:
      - {id: survey-vip, send: {channel: email, category: transactional, content: ` + mail("How was it?") + `}}
    else:
      - {id: survey, send: {channel: email, category: transactional, content: ` + mail("How was it") + `}}
`,
	"flows/review.yaml": `
flow: review
trigger: {event: order.delivered}
entry: {key: event.data.order_id}
exit:
  - when: customer.consent.email == false
goal: {event: review.submitted, when: event.data.order_id == trigger.data.order_id, within: 14d}
steps:
  - {id: pause, wait: 5d}
  - {id: ask, send: {channel: email, content: ` + mail("Review {{ trigger.data.order_id }}") + `}}
  - {id: pause2, wait: 4d}
  - {id: remind, send: {channel: email, content: ` + mail("Reminder") + `}}
`,
	"flows/welcome.yaml": `
flow: welcome
trigger: {event: customer.created}
steps:
  - id: pick
    split:
      variants:
        - {name: a, weight: 1, steps: [{id: send-a, send: {channel: email, category: transactional, content: ` + mail("Welcome") + `}}]}
        - {name: b, weight: 1, steps: [{id: send-b, send: {channel: email, category: transactional, content: ` + mail("Hello") + `}}]}
  - {id: later, wait: 1d}
  - {id: credit, update: {add: {points: 5}, set: {variant: steps.pick.variant}}}
`,
	"flows/loyalty.yaml": `
flow: loyalty
trigger: {event: order.placed}
steps:
  - {id: earn, update: {add: {points: 10}}}
  - id: gold
    if: customer.points >= 35 && customer.tier != "gold"
    then:
      - {id: crown, update: {set: {tier: '"gold"'}}}
      - {id: tell, emit: {event: tier.changed, data: {tier: customer.tier, points: customer.points}}}
`,
	"flows/gold.yaml": `
flow: gold
trigger: {event: tier.changed, when: event.data.tier == "gold"}
steps:
  - {id: congrats, send: {channel: email, category: transactional, content: ` + mail("Gold with {{ trigger.data.points }} points") + `}}
`,
	"flows/shipping.yaml": `
flow: shipping
trigger: {event: order.fulfilled}
entry: {repeat: 2d}
steps:
  - {id: shipped, send: {channel: email, category: transactional, content: ` + mail("On its way") + `}}
`,
	"flows/vip-early.yaml": `
flow: vip-early
trigger: {schedule: {at: "` + at(scheduleStep).Format(time.RFC3339) + `"}, audience: customer.orders_count >= 2}
steps:
  - {id: early, send: {channel: email, content: ` + mail("Early access") + `}}
  - {id: gap, wait: 2d}
  - {id: last-call, send: {channel: email, content: ` + mail("Last call") + `}}
`,
}

// plannedEvent is an event and the step it is sent at.
type plannedEvent struct {
	Step int
	Ev   event.Event
}

// plan is one customer's traffic.
type plan struct {
	ID     string
	Events []plannedEvent // distinct events, in the order they must be processed
	Dups   []plannedEvent // redeliveries of some of them, never at a step before the original's
}

type workload struct {
	Plans    []*plan
	LastStep int // the last step with an event
}

var totals = []string{"8.50", "19.90", "59.90", "99.99", "100.00", "120.00", "249.99"}

// rank orders the events of one customer within a step.
var rank = map[string]int{
	event.CustomerCreated: 0, event.OrderPlaced: 1, event.OrderFulfilled: 2, event.OrderDelivered: 3,
	event.OrderRefunded: 4, event.ReviewSubmitted: 5, event.ConsentUpdated: 6, event.CustomerUpdated: 7,
}

// generate makes the traffic of n customers: each registers, places up to five orders that are
// fulfilled, delivered (late or never for some), refunded or reviewed, and may withdraw consent.
// The same seed gives the same traffic.
func generate(n int, seed uint64) *workload {
	w := &workload{}
	for i := range n {
		p := generatePlan(fmt.Sprintf("c%05d", i), rand.New(rand.NewPCG(seed, uint64(i))))
		w.Plans = append(w.Plans, p)
		for _, e := range append(p.Events, p.Dups...) {
			w.LastStep = max(w.LastStep, e.Step)
		}
	}
	return w
}

func generatePlan(id string, r *rand.Rand) *plan {
	type gen struct {
		step, rank, idx int
		typ             string
		data            map[string]any
	}
	var gs []gen
	add := func(step, idx int, typ string, data map[string]any) {
		gs = append(gs, gen{step, rank[typ], idx, typ, data})
	}
	created := r.IntN(21)
	data := map[string]any{"email": id + "@example.com", "first_name": "Cus" + id[1:]}
	switch u := r.IntN(100); {
	case u < 65:
		data["consent"] = map[string]any{"email": true}
	case u < 85:
		data["consent"] = map[string]any{"email": false}
	}
	add(created, 0, event.CustomerCreated, data)
	orders := []int{0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5}[r.IntN(11)]
	placed := created + r.IntN(7)
	for o := 1; o <= orders; o++ {
		if o > 1 {
			placed += 1 + r.IntN(8)
		}
		oid := fmt.Sprintf("%s-o%d", id, o)
		total := totals[r.IntN(len(totals))]
		add(placed, o, event.OrderPlaced, map[string]any{"order_id": oid, "total": json.Number(total), "currency": "PEN",
			"items": []any{map[string]any{"sku": "SKU-" + total, "quantity": json.Number("1"), "price": json.Number(total)}}})
		if r.IntN(100) < 80 {
			d := 1 + r.IntN(24) // the timeout is 20 steps: some arrive too late
			add(placed+d, o, event.OrderDelivered, map[string]any{"order_id": oid})
			if r.IntN(100) < 70 {
				add(placed+r.IntN(d+1), o, event.OrderFulfilled, map[string]any{"order_id": oid, "tracking": "TRK" + oid})
			}
			if r.IntN(100) < 40 {
				add(placed+d+r.IntN(35), o, event.ReviewSubmitted, map[string]any{"order_id": oid, "score": json.Number(fmt.Sprint(1 + r.IntN(5)))})
			}
		} else if r.IntN(2) == 0 {
			add(placed+r.IntN(5), o, event.OrderFulfilled, map[string]any{"order_id": oid, "tracking": "TRK" + oid})
		}
		if r.IntN(100) < 15 {
			add(placed+r.IntN(31), o, event.OrderRefunded, map[string]any{"order_id": oid, "amount": json.Number(total)})
		}
	}
	if r.IntN(100) < 10 {
		add(created+r.IntN(51), 0, event.ConsentUpdated, map[string]any{"channel": "email", "granted": false})
	}
	if r.IntN(100) < 20 {
		add(created+r.IntN(40), 0, event.CustomerUpdated, map[string]any{"first_name": "New" + id[1:]})
	}
	sort.SliceStable(gs, func(a, b int) bool {
		x, y := gs[a], gs[b]
		if x.step != y.step {
			return x.step < y.step
		}
		if x.rank != y.rank {
			return x.rank < y.rank
		}
		return x.idx < y.idx
	})
	// Nothing happens at the schedule's step: everything from it on moves one step later, which
	// keeps the order.
	for i := range gs {
		if gs[i].step >= scheduleStep {
			gs[i].step++
		}
	}
	p := &plan{ID: id}
	for i, g := range gs {
		p.Events = append(p.Events, plannedEvent{Step: g.step, Ev: event.Event{
			SpecVersion: event.SpecVersion, ID: fmt.Sprintf("%s-e%d", id, i), Source: "chaos", Type: g.typ, Subject: id,
			Time: at(g.step), Data: g.data,
		}})
	}
	// Redeliveries: at the same step when the original is the customer's only event of that step
	// (so the copy may win the race and be the one processed), otherwise later, when it can only
	// be dropped.
	for i, e := range p.Events {
		if r.IntN(100) >= 4 {
			continue
		}
		alone := (i == 0 || p.Events[i-1].Step != e.Step) && (i == len(p.Events)-1 || p.Events[i+1].Step != e.Step)
		step := e.Step
		if !alone || r.IntN(2) == 0 {
			step += 1 + r.IntN(10)
			if step == scheduleStep {
				step++
			}
		}
		p.Dups = append(p.Dups, plannedEvent{Step: step, Ev: e.Ev})
	}
	return p
}

// stepGroups returns, for each step, each customer's events of that step in order (a redelivery
// sent at the same step as its original is a group of its own, free to race it).
func (w *workload) stepGroups() map[int][][]event.Event {
	out := map[int][][]event.Event{}
	for _, p := range w.Plans {
		var cur []event.Event
		curStep := -1
		flush := func() {
			if len(cur) > 0 {
				out[curStep] = append(out[curStep], cur)
			}
			cur = nil
		}
		for _, e := range p.Events {
			if e.Step != curStep {
				flush()
				curStep = e.Step
			}
			cur = append(cur, e.Ev)
		}
		flush()
		for _, d := range p.Dups {
			out[d.Step] = append(out[d.Step], []event.Event{d.Ev})
		}
	}
	return out
}

// interleave merges groups into one sequence in a random order across groups, keeping each
// group's own order.
func interleave(groups [][]event.Event, r *rand.Rand) []event.Event {
	var out []event.Event
	gs := make([][]event.Event, 0, len(groups))
	for _, g := range groups {
		if len(g) > 0 {
			gs = append(gs, g)
		}
	}
	for len(gs) > 0 {
		k := r.IntN(len(gs))
		out = append(out, gs[k][0])
		gs[k] = gs[k][1:]
		if len(gs[k]) == 0 {
			gs[k] = gs[len(gs)-1]
			gs = gs[:len(gs)-1]
		}
	}
	return out
}

// expected is one customer's end state, computed from its events alone.
type expected struct {
	Journeys    []string // "flow key status step converted", sorted
	Messages    []string // "flow step status reason step-number", sorted; the welcome variant as send-?
	OrdersCount int
	TotalSpent  decimal.Decimal
	Points      int
	Gold        bool
	Events      int // stored events, the emitted one included
}

// tri is a consent: unset, granted or withdrawn.
type tri int

const (
	unset tri = iota
	granted
	withdrawn
)

// expect runs the flows above over one customer's events, by hand. Work at a step happens in
// this order: timers that came due at or before it, then the step's events in order (timers
// before events, whatever the order the engine happens to run them in).
func (p *plan) expect() *expected {
	ex := &expected{Events: len(p.Events)}
	evs := p.Events
	consentAfter := make([]tri, len(evs)) // the consent once event i has been processed
	c := unset
	for i, e := range evs {
		switch e.Ev.Type {
		case event.CustomerCreated:
			if m, ok := e.Ev.Data["consent"].(map[string]any); ok {
				c = map[bool]tri{true: granted, false: withdrawn}[m["email"].(bool)]
			}
		case event.ConsentUpdated:
			c = withdrawn
		}
		consentAfter[i] = c
	}
	// consentBefore is the consent a timer at step s sees: every event before s, none of s.
	consentBefore := func(s int) tri {
		c := unset
		for i, e := range evs {
			if e.Step >= s {
				break
			}
			c = consentAfter[i]
		}
		return c
	}
	marketing := func(flow, step string, s int) {
		if consentBefore(s) == granted {
			ex.msg(flow, step, "pending", "", s)
		} else {
			ex.msg(flow, step, "skipped", "consent", s)
		}
	}
	oid := func(e plannedEvent) string { s, _ := e.Ev.Data["order_id"].(string); return s }

	created := evs[0].Step
	ex.msg("welcome", "send-?", "pending", "", created)
	ex.journey("welcome", "", "completed", "credit", false)
	ex.Points = 5

	lastShipped := -1
	ordersAt30 := 0
	for i, e := range evs {
		switch e.Ev.Type {
		case event.OrderPlaced:
			o := oid(e)
			ex.OrdersCount++
			total := decimal.RequireFromString(string(e.Ev.Data["total"].(json.Number)))
			ex.TotalSpent = ex.TotalSpent.Add(total)
			if e.Step < scheduleStep {
				ordersAt30++
			}
			ex.msg("thanks", "thank", "pending", "", e.Step)
			ex.journey("thanks", o, "completed", "thank", false)
			// loyalty: the welcome credit is there once its timer has run.
			points := 10 * ex.OrdersCount
			if e.Step >= created+2 {
				points += 5
			}
			if points >= 35 && !ex.Gold {
				ex.Gold = true
				ex.journey("loyalty", "", "completed", "tell", false)
				ex.journey("gold", "", "completed", "congrats", false)
				ex.msg("gold", "congrats", "pending", "", e.Step)
				ex.Events++
			} else {
				ex.journey("loyalty", "", "completed", "gold", false)
			}
			p.expectNPS(ex, i, total.GreaterThanOrEqual(decimal.NewFromInt(100)))
		case event.OrderRefunded:
			amount := decimal.RequireFromString(string(e.Ev.Data["amount"].(json.Number)))
			ex.TotalSpent = decimal.Max(ex.TotalSpent.Sub(amount), decimal.Zero)
		case event.OrderFulfilled:
			if lastShipped < 0 || e.Step >= lastShipped+4 {
				lastShipped = e.Step
				ex.msg("shipping", "shipped", "pending", "", e.Step)
				ex.journey("shipping", "", "completed", "shipped", false)
			}
		case event.OrderDelivered:
			if consentAfter[i] == withdrawn {
				ex.journey("review", oid(e), "exited", "", false)
				continue
			}
			p.expectReview(ex, i, consentBefore, marketing)
		}
	}
	ex.Points += 10 * ex.OrdersCount
	if ordersAt30 >= 2 {
		marketing("vip-early", "early", scheduleStep)
		marketing("vip-early", "last-call", scheduleStep+4)
		ex.journey("vip-early", "", "completed", "last-call", false)
	}
	sort.Strings(ex.Journeys)
	sort.Strings(ex.Messages)
	return ex
}

// expectNPS follows the nps journey of the order placed by event i: it waits for the order's
// delivery for 20 steps (exiting on the timeout), then 6 more, then sends a survey; the order's
// refund exits it while it is active.
func (p *plan) expectNPS(ex *expected, i int, vip bool) {
	evs := p.Events
	o := evs[i].Ev.Data["order_id"].(string)
	waitingDelivery, wake := true, evs[i].Step+20
	step := "delivered"
	for _, e := range evs[i+1:] {
		if wake <= e.Step { // the timer runs before the event
			if waitingDelivery {
				ex.journey("nps", o, "exited", "delivered", false)
				return
			}
			ex.survey(o, vip, wake)
			return
		}
		if e.Ev.Data["order_id"] != o {
			continue
		}
		switch {
		case e.Ev.Type == event.OrderRefunded:
			ex.journey("nps", o, "exited", step, false)
			return
		case e.Ev.Type == event.OrderDelivered && waitingDelivery:
			waitingDelivery, wake, step = false, e.Step+6, "settle"
		}
	}
	if waitingDelivery {
		ex.journey("nps", o, "exited", "delivered", false)
		return
	}
	ex.survey(o, vip, wake)
}

func (ex *expected) survey(o string, vip bool, s int) {
	step := "survey"
	if vip {
		step = "survey-vip"
	}
	ex.msg("nps", step, "pending", "", s)
	ex.journey("nps", o, "completed", step, false)
}

// expectReview follows the review journey of the order delivered by event i: an ask 10 steps
// later and a reminder 8 after that (marketing, so consent decides whether they leave); a review
// of the order converts it while it is active, and still counts for 28 steps from entry once it
// completed; withdrawing consent exits it.
func (p *plan) expectReview(ex *expected, i int, consentBefore func(int) tri, marketing func(flow, step string, s int)) {
	evs := p.Events
	d := evs[i].Step
	o := evs[i].Ev.Data["order_id"].(string)
	stage, step := 0, "pause" // 0: before the ask, 1: before the reminder, 2: completed
	wakes := [2]int{d + 10, d + 18}
	converted := false
	timers := func(upTo int) {
		for stage < 2 && wakes[stage] <= upTo {
			if stage == 0 {
				marketing("review", "ask", wakes[0])
				step = "pause2"
			} else {
				marketing("review", "remind", wakes[1])
				step = "remind"
			}
			stage++
		}
	}
	for _, e := range evs[i+1:] {
		timers(e.Step)
		switch {
		case stage < 2 && e.Ev.Type == event.ReviewSubmitted && e.Ev.Data["order_id"] == o:
			ex.journey("review", o, "converted", step, true)
			return
		case stage < 2 && e.Ev.Type == event.ConsentUpdated:
			ex.journey("review", o, "exited", step, false)
			return
		case stage == 2 && e.Ev.Type == event.ReviewSubmitted && e.Ev.Data["order_id"] == o && e.Step < d+28:
			converted = true
		}
	}
	timers(1 << 30)
	ex.journey("review", o, "completed", "remind", converted)
}

func (ex *expected) journey(flow, key, status, step string, converted bool) {
	ex.Journeys = append(ex.Journeys, journeyLine(flow, key, status, step, converted))
}

func (ex *expected) msg(flow, step, status, reason string, s int) {
	ex.Messages = append(ex.Messages, messageLine(flow, step, status, reason, at(s)))
}

func journeyLine(flow, key, status, step string, converted bool) string {
	conv := ""
	if converted {
		conv = " (goal reached)"
	}
	return fmt.Sprintf("%s[%s] %s at %q%s", flow, key, status, step, conv)
}

func messageLine(flow, step, status, reason string, sendAt time.Time) string {
	d := sendAt.Sub(t0)
	s := fmt.Sprintf("%s/%s %s at step %d", flow, step, status, d/stepLen)
	if d%stepLen != 0 {
		s = fmt.Sprintf("%s/%s %s at t0+%s (between steps)", flow, step, status, d)
	}
	if reason != "" {
		s += " (" + reason + ")"
	}
	return s
}

// withVariant puts the variant the engine picked into the expected welcome message.
func withVariant(lines []string, variant string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Replace(l, "welcome/send-?", "welcome/send-"+variant, 1)
	}
	sort.Strings(out)
	return out
}
