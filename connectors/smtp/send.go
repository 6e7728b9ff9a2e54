package smtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

// Send delivers one message, on a session kept from an earlier message when there is one.
func (c *connector) Send(ctx context.Context, m message.Message) (connectors.Result, error) {
	if m.Shape != message.Email {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("smtp: carries email only, not %q; route that channel to another connector", m.Shape))
	}
	msg, env, err := compose(m, &c.cfg, c.now())
	if err != nil {
		return connectors.Result{}, connectors.Permanent(fmt.Errorf("smtp: %w", err))
	}

	ctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	for {
		s := c.pool.get()
		reused := s != nil
		var stop func() bool
		if reused {
			raw := s.raw
			stop = context.AfterFunc(ctx, func() { raw.Close() })
		} else if s, stop, err = c.open(ctx); err != nil {
			return connectors.Result{}, c.classify(ctx, err)
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = s.raw.SetDeadline(dl)
		}
		reply, err := deliver(s.client, env, msg)
		aborted := !stop() // ctx ended and closed the connection
		if err != nil {
			s.close()
			var st stale
			if reused && errors.As(err, &st) && ctx.Err() == nil {
				// The server closed the kept session while it was idle; nothing was accepted.
				c.log.Debug().Str("server", c.cfg.addr).Err(err).Msg("smtp session found closed; opening a new one")
				continue
			}
			return connectors.Result{}, c.classify(ctx, err)
		}
		s.sent++
		if aborted {
			s.close()
		} else {
			c.pool.put(s)
		}
		return connectors.Result{ProviderID: providerID(reply, env.messageID)}, nil
	}
}

// stale is a session that fails at its first command without an answer from the server, or with
// 421 (the server is closing the session): a kept session the server has dropped. Nothing was
// accepted, so the message may go on a new session at once.
type stale struct{ error }

func (s stale) Unwrap() error { return s.error }

// deliver runs one mail transaction and returns the server's reply to the message.
func deliver(client *smtp.Client, env envelope, msg *gomail.Msg) (string, error) {
	if err := client.Mail("<" + env.from + ">"); err != nil {
		err = step("MAIL FROM <"+env.from+">", err)
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code == 421 {
			return "", stale{err}
		}
		return "", err
	}
	if err := client.Rcpt("<" + env.to + ">"); err != nil {
		return "", step("RCPT TO <"+env.to+">", err)
	}
	w, err := client.Data()
	if err != nil {
		return "", step("DATA", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return "", step("sending the message", err)
	}
	if err := w.Close(); err != nil {
		return "", step("end of DATA", err)
	}
	var reply string
	if dc, ok := w.(*smtp.DataCloser); ok {
		reply = dc.ServerResponse()
	}
	return reply, nil
}

// classify turns a failed conversation into a connector error: a 5xx answer is permanent (the
// server refused for good: unknown mailbox, rejected content, bad credentials), a 4xx answer
// transient (greylisting, a full queue, a rate limit), and anything without an answer (refused,
// reset, timed out, TLS failures) transient.
func (c *connector) classify(ctx context.Context, err error) error {
	var r refusal
	if errors.As(err, &r) {
		return connectors.Permanent(fmt.Errorf("smtp %s: %w", c.cfg.addr, err))
	}
	var tk tokenError
	if errors.As(err, &tk) {
		e := fmt.Errorf("smtp %s: %w; check the oauth2 settings or the token", c.cfg.addr, tk)
		if tk.permanent() {
			return connectors.Permanent(e)
		}
		return connectors.Transient(e, 0)
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		var se *stepError
		where := "server"
		if errors.As(err, &se) {
			where = se.step
		}
		e := fmt.Errorf("smtp %s: %s: server answered %d %s", c.cfg.addr, where, te.Code, strings.ReplaceAll(te.Msg, "\n", " "))
		if te.Code >= 500 {
			return connectors.Permanent(e)
		}
		return connectors.Transient(e, 0)
	}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return connectors.Transient(fmt.Errorf("smtp %s: delivery cancelled (%v); the message may or may not have been accepted", c.cfg.addr, err), 0)
	case ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return connectors.Transient(fmt.Errorf("smtp %s: no answer in time (%v; the timeout setting is %v); the message may or may not have been accepted", c.cfg.addr, err, c.cfg.timeout), 0)
	}
	// Certificate failures land here too: they need a person, but a certificate gets renewed and a
	// server fixed, so they stay retryable like any other failure to talk to the server.
	return connectors.Transient(fmt.Errorf("smtp %s: %w", c.cfg.addr, err), 0)
}

// providerID picks the server's id for the accepted message out of its reply to DATA
// ("250 2.0.0 Ok: queued as 4ZxY1k", "250 OK id=1rBx3k-0004Zj-2C"), else the reply itself, else
// the Message-ID.
func providerID(reply, messageID string) string {
	reply = strings.TrimSpace(reply)
	for _, marker := range []string{"queued as ", "id="} {
		if i := strings.Index(strings.ToLower(reply), marker); i >= 0 {
			if f := strings.Fields(reply[i+len(marker):]); len(f) > 0 {
				return f[0]
			}
		}
	}
	if reply != "" {
		return reply
	}
	return messageID
}
