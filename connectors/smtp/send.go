package smtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

// Send delivers one message in its own SMTP conversation.
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
	s, err := dial(ctx, &c.cfg)
	if err != nil {
		return connectors.Result{}, c.classify(ctx, err)
	}
	reply, err := c.converse(ctx, s, env, msg)
	if err != nil {
		s.close()
		return connectors.Result{}, c.classify(ctx, err)
	}
	s.quit()
	return connectors.Result{ProviderID: providerID(reply, env.messageID)}, nil
}

func (c *connector) converse(ctx context.Context, s *client, env envelope, msg []byte) (string, error) {
	cfg := &c.cfg
	if err := s.hello(cfg.heloName); err != nil {
		return "", err
	}
	if cfg.mode == StartTLS {
		if s.offers("STARTTLS") {
			if err := s.startTLS(ctx, cfg.tls, cfg.heloName); err != nil {
				return "", err
			}
		} else if cfg.username == "" || cfg.allowPlaintextAuth {
			c.log.Warn().Str("server", cfg.addr).Msg("smtp server does not offer STARTTLS; sending without encryption")
		}
	}
	if cfg.username != "" {
		if !s.tls && !cfg.allowPlaintextAuth {
			return "", refusal{errNoStartTLS}
		}
		if err := s.auth(cfg.username, cfg.password); err != nil {
			return "", err
		}
	}
	return s.deliver(env.from, env.to, msg)
}

// refusal is a conversation this connector ends itself because going on would be wrong under its
// settings; only a change of settings (or of the server) helps, so it is permanent.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// errNoStartTLS stops a conversation before the password would leave unencrypted.
var errNoStartTLS = errors.New("the server does not offer STARTTLS, so the password would travel unencrypted; " +
	"use tls: implicit if the server listens for TLS (usually port 465), or allow_plaintext_auth: true for a local development server")

// classify turns a failed conversation into a connector error: a 5xx answer is permanent (the
// server refused for good: unknown mailbox, rejected content, bad credentials), a 4xx answer
// transient (greylisting, a full queue, a rate limit), and anything without an answer (refused,
// reset, timed out, TLS failures) transient.
func (c *connector) classify(ctx context.Context, err error) error {
	var r refusal
	if errors.As(err, &r) {
		return connectors.Permanent(fmt.Errorf("smtp %s: %w", c.cfg.addr, err))
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
