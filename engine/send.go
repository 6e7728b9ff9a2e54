package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/tmpl"
	"github.com/afterglowhq/afterglow/engine/policy"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
)

// send renders a message and decides when it may leave, then puts it in the outbox. Rendering now
// means the outbox holds exactly what will be sent. A render failure marks the message failed and
// the journey goes on: one broken template must not stall every journey behind it.
func (b *batch) send(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) {
	s := step.Send
	m := b.newMessage(st, j, f, step)
	ch := b.fs.Settings.Channels[s.Channel]
	defer func() {
		b.messages = append(b.messages, m)
		if m.Status == store.Pending && m.SendAt.After(st.now) {
			st.hold(j.ID, m.SendAt)
		}
	}()
	if ch == nil {
		m.Status, m.Reason = store.Failed, "channel "+s.Channel+" is not in the settings"
		return
	}
	pol := b.fs.Settings.Policies.Merge(f.Policies)
	consent, _ := st.customer(b.fs.Workspace.Customer)["consent"].(map[string]any)
	in := policy.Input{
		Now: st.now, Channel: s.Channel, Shape: ch.Shape, Category: s.Category, Holdout: j.Holdout,
		HasAddress: hasAddress(ch.Shape, m.To), Consent: consent,
		Location: location(st.c, b.fs.Settings.Location), Sends: st.c.Sends, Policies: pol, Priority: m.Priority,
	}
	// A message that will not leave is not rendered: it has no content to show.
	if pre := policy.Decide(policy.Input{Now: in.Now, Shape: in.Shape, Category: in.Category, Holdout: in.Holdout,
		HasAddress: in.HasAddress, Consent: in.Consent}); pre.Skip {
		m.Status, m.Reason = store.Skipped, pre.Reason
		return
	}
	locale, _ := st.c.Attrs["locale"].(string)
	if err := b.render(st, j, f, step, m, locale); err != nil {
		m.Status, m.Reason = store.Failed, "render: "+err.Error()
		b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Err(err).Msg("message failed to render")
		return
	}
	d := policy.Decide(in)
	if policy.MayTakePlace(in, d) {
		// Only now is the outbox read: most messages held by a limit find nothing of lower
		// priority among the customer's marks, and cost no query.
		waiting := b.waiting(st)
		in.Waiting = waitingInput(b.fs, waiting)
		d = policy.Decide(in)
		b.move(st, waiting, d.Moves)
	}
	if d.Skip {
		m.Status, m.Reason = store.Skipped, d.Reason
		return
	}
	m.SendAt, m.Reason = d.SendAt, d.Reason
	st.c.Sends = append(st.c.Sends, store.SendMark{At: d.SendAt, Channel: s.Channel, Category: s.Category, Priority: m.Priority})
	st.changed = true
}

// newMessage is the outbox row of a send step, before policies and rendering.
func (b *batch) newMessage(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) *store.Message {
	s := step.Send
	id := messageID(j.ID, step.ID)
	m := &store.Message{
		ID: id, IdempotencyKey: id, CustomerID: st.c.ID, JourneyID: j.ID, FlowID: f.ID, FlowVersion: f.Version,
		StepID: step.ID, Channel: s.Channel, Category: s.Category, Priority: int(f.Priority), Status: store.Pending, SendAt: st.now, CreatedAt: st.now,
		To: recipient(st.c),
	}
	if ch := b.fs.Settings.Channels[s.Channel]; ch != nil {
		m.Shape = ch.Shape
	}
	return m
}

// render fills the message's content in the variant that locale picks (the customer's own, when
// sending).
func (b *batch) render(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step, m *store.Message, locale string) error {
	s := step.Send
	c := s.Content
	if s.Template != "" {
		// The template as the journey's version has it, not as the workspace has it now.
		t := f.Templates[s.Template]
		if t == nil || t.Content == nil {
			return fmt.Errorf("template %s is not in flow version %s", s.Template, f.Version)
		}
		c = t.Content
	}
	if c == nil {
		return fmt.Errorf("step %s has no content", step.ID)
	}
	v := c.Pick(locale)
	if v == nil {
		return fmt.Errorf("no content for locale %q or the default %q", locale, c.DefaultLocale)
	}
	m.Locale = v.Locale
	vars := b.vars(st, j, nil)
	data := map[string]any{}
	for _, d := range s.Data {
		val, err := d.Expr.Eval(vars)
		if err != nil {
			return fmt.Errorf("data.%s: %v", d.Name, err)
		}
		data[d.Name] = val
	}
	if b.e.opts.Unsubscribe != nil {
		m.UnsubscribeURL = b.e.opts.Unsubscribe(st.c.ID, s.Channel, m.ID)
	}
	tvars := map[string]any{
		"customer": templateCustomer(vars["customer"].(map[string]any), st.c), "trigger": templateEvent(&j.Trigger),
		"steps": templateSteps(j.Outputs), "journey": vars["journey"], "data": data, "unsubscribe_url": m.UnsubscribeURL,
		tmpl.LookupVar: b.lookup(st),
	}
	render := v.Render
	if b.e.opts.Preview {
		render = v.RenderPreview
	}
	out, err := render(tvars)
	if err != nil {
		return err
	}
	m.Content = out
	return nil
}

func recipient(c *store.Customer) message.Recipient {
	str := func(k string) string { s, _ := c.Attrs[k].(string); return s }
	name := strings.TrimSpace(str("first_name") + " " + str("last_name"))
	return message.Recipient{CustomerID: c.ID, Email: str("email"), Phone: str("phone"), PushToken: str("push_token"), Name: name}
}

func hasAddress(s message.Shape, to message.Recipient) bool {
	switch s {
	case message.Email:
		return to.Email != ""
	case message.SMS, message.WhatsApp:
		return to.Phone != ""
	case message.Push:
		return to.PushToken != ""
	}
	return true
}

// update changes customer attributes; later steps and other journeys of the batch see the change.
func (b *batch) update(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) {
	u := step.Update
	for _, s := range u.Set {
		v, err := s.Expr.Eval(b.vars(st, j, nil))
		if err != nil {
			b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Err(err).Msg("update value failed to evaluate; attribute unchanged")
			continue
		}
		st.c.Attrs[s.Name] = storable(v)
		st.touch()
	}
	for _, a := range u.Add {
		v, err := a.Expr.Eval(b.vars(st, j, nil))
		if err != nil {
			b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Err(err).Msg("update value failed to evaluate; attribute unchanged")
			continue
		}
		st.c.Attrs[a.Name] = addNumbers(st.c.Attrs[a.Name], v)
		st.touch()
	}
}

// addNumbers adds delta to an attribute, counting an unset one as 0, keeping integers integers.
func addNumbers(cur, delta any) any {
	ci, cInt := toInt(cur)
	di, dInt := toInt(delta)
	if cInt && dInt {
		return json.Number(fmt.Sprint(ci + di))
	}
	return json.Number(fmt.Sprint(toFloat(cur) + toFloat(delta)))
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case json.Number:
		i, err := x.Int64()
		return i, err == nil
	case float64:
		return int64(x), x == float64(int64(x))
	}
	return 0, false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float64:
		return x
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return 0
}

// storable turns an expression's result into what attributes and event data hold (JSON values).
func storable(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case time.Duration:
		return x.String()
	case int:
		return json.Number(fmt.Sprint(x))
	case int64:
		return json.Number(fmt.Sprint(x))
	case float64:
		return json.Number(fmt.Sprint(x))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = storable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = storable(e)
		}
		return out
	}
	return v
}

// emit queues an event for the same customer, processed after the current one.
func (b *batch) emit(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) {
	data := map[string]any{}
	vars := b.vars(st, j, nil)
	for _, d := range step.Emit.Data {
		v, err := d.Expr.Eval(vars)
		if err != nil {
			b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Err(err).Msg("emit data failed to evaluate; left out")
			continue
		}
		data[d.Name] = storable(v)
	}
	ev := event.Event{
		SpecVersion: event.SpecVersion, ID: emittedEventID(j.ID, step.ID), Source: "afterglow/" + f.ID,
		Type: step.Emit.Event, Subject: st.c.ID, Time: st.now, Data: data,
	}
	// Data computed from a long value could outgrow an index and fail the customer's whole batch
	// on every retry: such an event is not emitted, and the journey goes on.
	if ps := ev.Admissible(st.now); len(ps) > 0 {
		b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Str("problem", ps[0].Error()).
			Msg("emitted event cannot be stored; not emitted")
		return
	}
	st.queue = append(st.queue, store.StoredEvent{Event: ev, Depth: j.Depth + 1})
}

// Templates see money as the shop sent it: "59.90" stays 59.90, where expressions, which compare,
// see the number 59.9. The customer's total_spent is the exact decimal too.

func templateEvent(ev *event.Event) map[string]any {
	if ev == nil {
		return nil
	}
	return map[string]any{"id": ev.ID, "type": ev.Type, "source": ev.Source, "subject": ev.Subject, "time": ev.Time, "data": ev.Data}
}

func templateSteps(out map[string]store.StepOutput) map[string]any {
	m := make(map[string]any, len(out))
	for id, o := range out {
		m[id] = map[string]any{"timed_out": o.TimedOut, "variant": o.Variant, "event": templateEvent(o.Event)}
	}
	return m
}

func templateCustomer(view map[string]any, c *store.Customer) map[string]any {
	m := make(map[string]any, len(view))
	for k, v := range view {
		m[k] = v
	}
	m["total_spent"] = json.Number(c.TotalSpent.String())
	return m
}
