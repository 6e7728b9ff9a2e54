// Package dispatch delivers the outbox: it leases due messages with SKIP LOCKED, sends them
// through their channel's connector with bounded concurrency and a rate limit per channel that
// holds for every process together, retries transient failures with exponential backoff and
// jitter, and records every attempt.
//
// A message is leased before it is sent and marked sent after, in two transactions. A process
// that dies in between leaves a lease that expires, and the message is sent again with the same
// idempotency key: providers that take the key (the webhook connector) drop the repeat; the others
// (SMTP, Twilio, WhatsApp Cloud, FCM) cannot, so a message can reach a customer twice only if a
// process dies in the moment between the provider's answer and the commit that records it.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
)

// Channel is a connector ready to send, with its rate limit.
type Channel struct {
	Name      string
	Connector connectors.Connector
	Kind      string // the connector's name in the settings (smtp, twilio, ...), for the log
	// Every spaces its messages, and Burst of them may go at once; zero Every is no limit. The
	// limit holds for every process on the store together (store.ReserveSend): a provider limits
	// the shop's account, whatever runs the sending.
	Every time.Duration
	Burst int
}

// rate turns a limit in messages a second into a spacing and a burst of one second's worth.
func rate(perSecond float64) (every time.Duration, burst int) {
	if perSecond <= 0 {
		return 0, 0
	}
	return time.Duration(float64(time.Second) / perSecond), max(int(perSecond), 1)
}

// Build makes the connectors of every channel in the settings (whose ${VAR}s are already expanded).
func Build(s *dsl.Settings, opts connectors.Options) (map[string]*Channel, error) {
	out := map[string]*Channel{}
	for _, name := range s.ChannelNames() {
		ch := s.Channels[name]
		spec, ok := connectors.Lookup(ch.Connector)
		if !ok {
			return nil, fmt.Errorf("channel %s: unknown connector %q", name, ch.Connector)
		}
		c, err := spec.New(ch.With, opts)
		if err != nil {
			return nil, fmt.Errorf("channel %s (%s): %w", name, ch.Connector, err)
		}
		every, burst := rate(ch.RateLimit)
		out[name] = &Channel{Name: name, Connector: c, Kind: ch.Connector, Every: every, Burst: burst}
	}
	return out, nil
}

// Dispatcher sends due messages.
type Dispatcher struct {
	Store       store.Store
	Channels    map[string]*Channel
	Clock       clock.Clock
	Log         zerolog.Logger
	Concurrency int           // messages in flight at once
	Batch       int           // messages leased per round
	MaxAttempts int           // a message fails for good after this many transient failures
	Lease       time.Duration // how long a leased message belongs to this dispatcher
	SendTimeout time.Duration // bound on one attempt
	// Backoff is the wait before retry n (1-based); nil uses exponential backoff with jitter.
	Backoff func(n int) time.Duration
	// ObserveSend, when set, is told how long each call to a connector took and how it ended
	// ("sent", "retry" or "failed"), for latency metrics.
	ObserveSend func(channel, outcome string, took time.Duration)

	Sent, Failed, Retried Counter
}

// Counter counts outcomes by channel.
type Counter struct{ m sync.Map }

func (c *Counter) add(ch string) {
	v, _ := c.m.LoadOrStore(ch, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Snapshot returns the counts by channel.
func (c *Counter) Snapshot() map[string]int64 {
	out := map[string]int64{}
	c.m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

func (d *Dispatcher) defaults() {
	if d.Clock == nil {
		d.Clock = clock.Wall{}
	}
	if d.Concurrency <= 0 {
		d.Concurrency = 16
	}
	if d.Batch <= 0 {
		d.Batch = 4 * d.Concurrency
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 8
	}
	if d.Lease <= 0 {
		d.Lease = 2 * time.Minute
	}
	if d.SendTimeout <= 0 || d.SendTimeout > d.Lease/2 {
		d.SendTimeout = d.Lease / 2
	}
	if d.Backoff == nil {
		d.Backoff = Backoff
	}
}

// Close releases what the channels' connectors keep open between messages (SMTP sessions). Call
// it once no send is under way.
func (d *Dispatcher) Close() {
	for name, ch := range d.Channels {
		if c, ok := ch.Connector.(io.Closer); ok {
			if err := c.Close(); err != nil {
				d.Log.Warn().Err(err).Str("channel", name).Msg("closing the connector failed")
			}
		}
	}
}

// Backoff waits 30s, 1m, 2m, ... up to 6h before retry n, each between half and all of that,
// so that messages that failed together do not all come back together.
func Backoff(n int) time.Duration {
	base := 30 * time.Second << min(max(n-1, 0), 10)
	base = min(base, 6*time.Hour)
	return base/2 + time.Duration(rand.Int64N(int64(base/2)+1))
}

// RunOnce leases one batch of due messages and delivers them. It returns how many it handled.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	d.defaults()
	if err := ctx.Err(); err != nil {
		return 0, err // a stopping dispatcher claims nothing new
	}
	now := d.Clock.Now()
	leaseEnd := now.Add(d.Lease)
	// The claim is not cut short by a stop: cancelled while its COMMIT was on the wire, it could
	// have committed and still read as failed, leaving its messages leased with no one to send
	// them until the lease ends. Claimed, they are sent, as the sends under way are.
	cctx, cancel := detached(ctx)
	defer cancel()
	var ms []*store.Message
	err := d.Store.InTx(cctx, func(tx store.Tx) error {
		var err error
		ms, err = tx.ClaimMessages(cctx, now, leaseEnd, d.Batch)
		return err
	})
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.Concurrency)
	recs := make(chan finished, d.Concurrency)
	recorded := make(chan error, 1)
	go func() { recorded <- d.record(ctx, recs) }()
	var wg sync.WaitGroup
	var firstErr error
	var untried []*store.Message
	var mu sync.Mutex
	for _, m := range ms {
		sem <- struct{}{}
		wg.Add(1)
		go func(m *store.Message) {
			defer func() { <-sem; wg.Done() }()
			if err := d.deliver(ctx, m, leaseEnd, recs); err != nil {
				mu.Lock()
				defer mu.Unlock()
				// deliver fails only before a send: told to stop while it waited for the
				// channel's rate, the message is given back rather than left leased.
				if ctx.Err() != nil {
					untried = append(untried, m)
				} else if firstErr == nil {
					firstErr = err
				}
			}
		}(m)
	}
	wg.Wait()
	close(recs)
	if err := <-recorded; firstErr == nil {
		firstErr = err
	}
	if len(untried) > 0 {
		rctx, cancel := detached(ctx)
		defer cancel()
		if err := d.Store.InTx(rctx, func(tx store.Tx) error { return tx.ReleaseMessages(rctx, untried) }); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return len(ms), firstErr
}

// finished is an attempt made and not yet recorded; done is closed once the recorder has tried to
// commit it.
type finished struct {
	m    *store.Message
	a    store.Attempt
	done chan struct{}
}

// record writes attempts as they finish, all those waiting in one transaction: one commit per
// attempt would bound a dispatcher by the database's commit rate, and waiting for a fuller group
// would widen the moment in which a dead process forgets a send it made. A group that cannot be
// recorded is tried one attempt at a time, so that one bad row does not send the others twice.
func (d *Dispatcher) record(ctx context.Context, in <-chan finished) error {
	var firstErr error
	for f := range in {
		group := []finished{f}
	gather:
		for len(group) < 256 {
			select {
			case g, ok := <-in:
				if !ok {
					break gather
				}
				group = append(group, g)
			default:
				break gather
			}
		}
		err := d.save(ctx, group)
		if err != nil && len(group) > 1 {
			err = nil
			for _, f := range group {
				if e := d.save(ctx, []finished{f}); e != nil && err == nil {
					err = e
				}
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		for _, f := range group {
			close(f.done)
		}
	}
	return firstErr
}

func (d *Dispatcher) save(ctx context.Context, group []finished) error {
	// Recording must not be cut short by the caller going away: the sends already happened.
	rctx, cancel := detached(ctx)
	defer cancel()
	fs := make([]store.Finish, len(group))
	for i, f := range group {
		fs[i] = store.Finish{Message: f.m, Attempt: f.a}
	}
	return d.Store.InTx(rctx, func(tx store.Tx) error { return tx.FinishAttempts(rctx, fs) })
}

// detached bounds a transaction that must not be cut short by a stop (a claim, a record, a
// release: each leaves the outbox wrong if it reads as failed after it committed), but must not
// hang on a database that stopped answering either.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
}

// deliver sends one leased message and hands the attempt to the recorder, returning once it is
// recorded. If the attempt cannot be recorded, the lease expires and the message is tried again.
//
// A message whose lease could end before its send does is left alone: once the lease ends another
// dispatcher may claim it, and both would send it. Messages wait here for a free slot and for the
// rate limit, so with a slow provider the last of a batch can reach this point late.
func (d *Dispatcher) deliver(ctx context.Context, m *store.Message, leaseEnd time.Time, recs chan<- finished) error {
	ch := d.Channels[m.Channel]
	n := m.Attempts + 1
	var res connectors.Result
	var sendErr error
	var took time.Duration
	if ch == nil {
		sendErr = connectors.Permanent(fmt.Errorf("channel %s is not configured", m.Channel))
	} else {
		if ch.Every > 0 {
			// The moment is taken only when it comes while the lease still leaves time to send: a
			// moment taken and not used would slow every process's sends for nothing.
			wait, ok, err := d.Store.ReserveSend(ctx, ch.Name, ch.Every, ch.Burst, leaseEnd.Sub(d.Clock.Now())-d.SendTimeout)
			if err != nil {
				return err
			}
			if !ok {
				d.Log.Debug().Str("message", m.ID).Str("channel", m.Channel).Msg("the channel's rate limit is taken for the length of the lease; the message goes when it is claimed again")
				return nil
			}
			if err := sleepCtx(ctx, wait); err != nil {
				return err
			}
		}
		if d.Clock.Now().Add(d.SendTimeout).After(leaseEnd) {
			d.Log.Debug().Str("message", m.ID).Str("channel", m.Channel).Msg("lease too short for a send; the message goes when it is claimed again")
			return nil
		}
		// A send under way finishes even when the dispatcher is told to stop: cutting it would leave
		// the customer with a message the outbox does not know was sent.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.SendTimeout)
		start := time.Now()
		res, sendErr = ch.Connector.Send(sctx, toConnector(m))
		took = time.Since(start)
		cancel()
	}
	now := d.Clock.Now()
	a := store.Attempt{MessageID: m.ID, CustomerID: m.CustomerID, N: n, At: now}
	m.Attempts = n
	m.LeaseUntil = time.Time{}
	switch {
	case sendErr == nil:
		m.Status, m.ProviderID, m.SentAt, m.LastError = store.Sent, res.ProviderID, now, ""
		a.Outcome, a.ProviderID = "sent", res.ProviderID
		d.Sent.add(m.Channel)
		d.observe(m.Channel, "sent", took)
	case connectors.IsPermanent(sendErr) || n >= d.MaxAttempts:
		m.Status, m.LastError = store.Failed, sendErr.Error()
		m.Reason = "delivery failed"
		if !connectors.IsPermanent(sendErr) {
			m.Reason = fmt.Sprintf("delivery failed after %d attempts", n)
		}
		a.Outcome, a.Error = outcome(sendErr), sendErr.Error()
		d.Failed.add(m.Channel)
		d.observe(m.Channel, "failed", took)
	default:
		wait := max(d.Backoff(n), connectors.RetryAfter(sendErr))
		m.Status, m.SendAt, m.LastError = store.Pending, now.Add(wait), sendErr.Error()
		a.Outcome, a.Error = "transient", sendErr.Error()
		d.Retried.add(m.Channel)
		d.observe(m.Channel, "retry", took)
		d.Log.Debug().Str("message", m.ID).Str("customer", m.CustomerID).Str("channel", m.Channel).Int("attempt", n).Dur("retry_in", wait).
			Str("error", redact(sendErr.Error(), m.To)).Msg("message will be retried")
	}
	// The slot is kept until the attempt is committed: a process that dies forgets only sends it
	// has not recorded yet, and this way there are never more of those than sends in flight, so a
	// kill repeats at most Concurrency messages.
	f := finished{m, a, make(chan struct{})}
	recs <- f
	<-f.done
	if m.Status == store.Sent || m.Status == store.Failed {
		kind := ""
		if ch != nil {
			kind = ch.Kind
		}
		ev := d.Log.Info().Str("message", m.ID).Str("customer", m.CustomerID).Str("journey", m.JourneyID).Str("flow", m.FlowID).
			Str("step", m.StepID).Str("channel", m.Channel).Str("connector", kind).Int("attempts", n)
		if m.Status == store.Sent {
			ev.Msg("message sent")
		} else {
			ev.Str("error", redact(m.LastError, m.To)).Msg("message failed")
		}
	}
	return nil
}

// redact takes the recipient's address, phone, push token and name out of a provider's error,
// which may quote them: the log carries ids, never personal data.
func redact(s string, to message.Recipient) string {
	for _, p := range []string{to.Email, to.Phone, to.PushToken, to.Name} {
		if strings.TrimSpace(p) != "" {
			s = strings.ReplaceAll(s, p, "[redacted]")
		}
	}
	return s
}

// observe reports a connector call; took is 0 when no connector was called (an unknown channel,
// a message that could not be built), and then there is nothing to report.
func (d *Dispatcher) observe(channel, outcome string, took time.Duration) {
	if d.ObserveSend != nil && took > 0 {
		d.ObserveSend(channel, outcome, took)
	}
}

func outcome(err error) string {
	if connectors.IsPermanent(err) {
		return "permanent"
	}
	return "transient"
}

func toConnector(m *store.Message) message.Message {
	return message.Message{
		ID: m.ID, IdempotencyKey: m.IdempotencyKey, Channel: m.Channel, Shape: m.Shape, Category: m.Category,
		Flow: m.FlowID, Step: m.StepID, Locale: m.Locale, To: m.To, Content: m.Content, UnsubscribeURL: m.UnsubscribeURL,
	}
}

// Run delivers until ctx ends, polling every interval when nothing is due.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) error {
	for {
		n, err := d.RunOnce(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			d.Log.Error().Err(err).Msg("dispatch round failed; trying again")
		}
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 && err == nil {
			continue
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
