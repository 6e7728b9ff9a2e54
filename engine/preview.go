package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
)

// PreviewInput names the step to render, for whom, after which trigger and in which locale.
type PreviewInput struct {
	Flow, Step string
	Customer   *store.Customer
	Trigger    event.Event
	Locale     string // picks the variant as a customer's locale would
}

// errPreview rolls back the transaction a preview renders in: it reads, and writes nothing.
var errPreview = errors.New("preview")

// Preview renders a send step's message for a customer through the code that writes messages to
// the outbox, in a transaction that is rolled back. Policies are not applied: the message is shown
// as it would leave, whether or not it would leave now.
func (e *Engine) Preview(ctx context.Context, in PreviewInput) (*store.Message, error) {
	fs := e.Flows()
	f := fs.Flow(in.Flow)
	if f == nil {
		return nil, fmt.Errorf("flow %s is not in the workspace", in.Flow)
	}
	step := f.Index[in.Step]
	if step == nil || step.Send == nil {
		return nil, fmt.Errorf("flow %s has no send step %s", in.Flow, in.Step)
	}
	var m *store.Message
	var rerr error
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		b := e.newBatch(ctx, tx)
		c := in.Customer
		if c.Attrs == nil {
			c.Attrs = map[string]any{}
		}
		st := &custState{c: c, byID: map[string]*store.Journey{}, dirty: map[string]*store.Journey{},
			entries: map[[2]string]*store.Entry{}, newEntry: map[[2]string]*store.Entry{}, now: b.now}
		b.custs[c.ID] = st
		b.order = append(b.order, st)
		trig := in.Trigger
		j := &store.Journey{ID: journeyID(f.ID, c.ID, trig.ID), CustomerID: c.ID, FlowID: f.ID, FlowVersion: f.Version,
			Status: store.Active, EnteredAt: b.now, Trigger: trig, Outputs: map[string]store.StepOutput{}}
		m = b.newMessage(st, j, f, step)
		rerr = b.render(st, j, f, step, m, in.Locale)
		return errPreview
	})
	if err != nil && !errors.Is(err, errPreview) {
		return nil, err
	}
	return m, rerr
}

// StepContent is the content a send step renders: its template's or its own.
func StepContent(f *dsl.Flow, step *dsl.Step) *content.Content {
	if step.Send == nil {
		return nil
	}
	if step.Send.Template != "" {
		if t := f.Templates[step.Send.Template]; t != nil {
			return t.Content
		}
		return nil
	}
	return step.Send.Content
}
