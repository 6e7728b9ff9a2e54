package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one open, authenticated SMTP session.
type conn struct {
	client    *smtp.Client
	raw       net.Conn // the TCP connection under any TLS, closed to abort a blocked command
	idleSince time.Time
	sent      int
}

// close ends the session without a word: used when it failed or was abandoned.
func (c *conn) close() { c.raw.Close() }

// quit ends the session politely, as a server expects of a client that is done.
func (c *conn) quit() {
	_ = c.raw.SetDeadline(time.Now().Add(2 * time.Second))
	_ = c.client.Quit()
	c.raw.Close()
}

// pool keeps sessions open between messages, so that a burst of messages pays for one TCP
// connection, one TLS handshake and one authentication per session instead of per message.
type pool struct {
	max           int           // sessions kept open; 0 closes each after its message
	idleTimeout   time.Duration // a session idle longer is closed rather than reused
	perConnection int           // a session that carried this many messages is closed

	mu     sync.Mutex
	idle   []*conn // most recently used last
	closed bool
}

// get returns an idle session, or nil. Sessions idle too long are closed on the way.
func (p *pool) get() *conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		if time.Since(c.idleSince) < p.idleTimeout {
			return c
		}
		c.close()
	}
	return nil
}

// put keeps a session for the next message, or ends it when the pool is full, closed, or the
// session has carried its share of messages.
func (p *pool) put(c *conn) {
	p.mu.Lock()
	keep := !p.closed && len(p.idle) < p.max && c.sent < p.perConnection
	if keep {
		c.idleSince = time.Now()
		p.idle = append(p.idle, c)
	}
	p.mu.Unlock()
	if !keep {
		c.quit()
	}
}

// close ends every idle session; sessions in use end when their message is done.
func (p *pool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.quit()
	}
}

// Close ends the sessions kept open. The dispatcher calls it when it stops.
func (c *connector) Close() error {
	c.pool.close()
	return nil
}

// dialKey carries, through go-mail's dial, where to record the TCP connection and which context
// may abort it.
type dialKey struct{}

type dialing struct {
	ctx  context.Context // the delivery's, which outlives the dial's own
	raw  net.Conn
	stop func() bool // stops closing raw when ctx ends
}

// newDialer configures go-mail to connect, greet, and upgrade with STARTTLS when the mode says
// so. The connection is made here rather than by go-mail so that the delivery's context can
// abort any command blocked on it, not only the dial.
func (c *connector) newDialer() (*gomail.Client, error) {
	policy := gomail.TLSOpportunistic
	if c.cfg.mode != StartTLS {
		policy = gomail.NoTLS // implicit TLS is set up by dial; none never encrypts
	}
	return gomail.NewClient(c.cfg.host,
		gomail.WithPort(c.cfg.port),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(c.cfg.tls),
		gomail.WithHELO(c.cfg.heloName),
		gomail.WithTimeout(c.cfg.timeout),
		gomail.WithDialContextFunc(c.dial),
	)
}

func (c *connector) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if st, ok := ctx.Value(dialKey{}).(*dialing); ok {
		st.raw = raw
		st.stop = context.AfterFunc(st.ctx, func() { raw.Close() })
	}
	if c.cfg.mode != Implicit {
		return raw, nil
	}
	tc := tls.Client(raw, c.cfg.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, &stepError{step: "TLS handshake", err: err}
	}
	return tc, nil
}

// open makes a new session: connect, greet, TLS as the mode says, and authenticate. The returned
// stop ends the watch that closes the connection when ctx ends.
func (c *connector) open(ctx context.Context) (*conn, func() bool, error) {
	st := &dialing{ctx: ctx}
	client, err := c.dialer.DialToSMTPClientWithContext(context.WithValue(ctx, dialKey{}, st))
	fail := func(err error) (*conn, func() bool, error) {
		if st.raw != nil {
			st.stop()
			st.raw.Close()
		}
		return nil, nil, err
	}
	if err != nil {
		var se *stepError
		var oe *net.OpError
		switch {
		case errors.As(err, &se):
			return fail(err)
		case errors.As(err, &oe) && oe.Op == "dial":
			return fail(step("connect", err))
		}
		return fail(step("opening the session (greeting, EHLO, STARTTLS)", err))
	}
	if st.raw == nil {
		return fail(errors.New("connect: no connection was made"))
	}
	if _, err := client.GetTLSConnectionState(); err != nil && c.cfg.mode == StartTLS && c.cfg.username == "" {
		c.log.Warn().Str("server", c.cfg.addr).Msg("smtp server does not offer STARTTLS; sending without encryption")
	}
	if err := c.authenticate(ctx, client); err != nil {
		return fail(err)
	}
	return &conn{client: client, raw: st.raw}, st.stop, nil
}
