package smtp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
)

// client is one SMTP conversation, client side (RFC 5321), over net/textproto.
type client struct {
	raw  net.Conn // the TCP connection, closed to abort whatever is blocked on it
	conn net.Conn // raw, or the TLS connection over it
	text *textproto.Conn
	ext  map[string]string // EHLO keywords, upper case, to their parameters
	tls  bool

	unwatch func() bool // stops closing raw when the context ends
}

// stepError says which step of the conversation failed, for the error a person reads.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func step(name string, err error) error {
	if err == nil {
		return nil
	}
	return &stepError{step: name, err: err}
}

func dial(ctx context.Context, cfg *config) (*client, error) {
	d := &net.Dialer{}
	raw, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, step("connect", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		raw.SetDeadline(dl)
	}
	// A blocked read or write returns at once when the context ends, not at the deadline.
	s := &client{raw: raw, conn: raw, unwatch: context.AfterFunc(ctx, func() { raw.Close() })}
	if cfg.mode == Implicit {
		tc := tls.Client(raw, cfg.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			s.close()
			return nil, step("TLS handshake", err)
		}
		s.conn, s.tls = tc, true
	}
	s.text = textproto.NewConn(s.conn)
	if _, _, err := s.text.ReadResponse(220); err != nil {
		s.close()
		return nil, step("greeting", err)
	}
	return s, nil
}

func (s *client) close() {
	s.unwatch()
	s.conn.Close()
}

// cmd sends one command and reads its reply, which must start with expect (2 for any 2xx,
// 25 for 250-259, ...).
func (s *client) cmd(expect int, format string, args ...any) (string, error) {
	if err := s.text.PrintfLine(format, args...); err != nil {
		return "", err
	}
	_, msg, err := s.text.ReadResponse(expect)
	return msg, err
}

// hello greets with EHLO and records the extensions the server offers.
func (s *client) hello(name string) error {
	msg, err := s.cmd(250, "EHLO %s", name)
	if err != nil {
		return step("EHLO", err)
	}
	s.ext = map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] { // the first line is the server's name
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		s.ext[strings.ToUpper(k)] = v
	}
	return nil
}

func (s *client) offers(ext string) bool {
	_, ok := s.ext[ext]
	return ok
}

func (s *client) startTLS(ctx context.Context, cfg *tls.Config, name string) error {
	if _, err := s.cmd(220, "STARTTLS"); err != nil {
		return step("STARTTLS", err)
	}
	tc := tls.Client(s.raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return step("TLS handshake after STARTTLS", err)
	}
	s.conn, s.tls = tc, true
	s.text = textproto.NewConn(tc)
	// RFC 3207: the client forgets what it learned before TLS and asks again.
	return s.hello(name)
}

// auth authenticates with PLAIN when offered, else LOGIN. The caller has made sure the
// connection is encrypted or that plaintext was explicitly allowed.
func (s *client) auth(user, pass string) error {
	mechs := strings.Fields(strings.ToUpper(s.ext["AUTH"]))
	has := func(m string) bool {
		for _, x := range mechs {
			if x == m {
				return true
			}
		}
		return false
	}
	b64 := base64.StdEncoding.EncodeToString
	switch {
	case has("PLAIN"):
		// RFC 4616, with the initial response on the command line (RFC 4954).
		_, err := s.cmd(235, "AUTH PLAIN %s", b64([]byte("\x00"+user+"\x00"+pass)))
		return step("AUTH PLAIN", err)
	case has("LOGIN"):
		if _, err := s.cmd(334, "AUTH LOGIN"); err != nil {
			return step("AUTH LOGIN", err)
		}
		if _, err := s.cmd(334, "%s", b64([]byte(user))); err != nil {
			return step("AUTH LOGIN (user name)", err)
		}
		_, err := s.cmd(235, "%s", b64([]byte(pass)))
		return step("AUTH LOGIN (password)", err)
	case len(mechs) == 0:
		return refusal{step("AUTH", errors.New("the server offers no authentication; remove username and password if it needs none"))}
	default:
		return refusal{step("AUTH", fmt.Errorf("the server offers %s, and this connector speaks PLAIN and LOGIN", strings.Join(mechs, ", ")))}
	}
}

// deliver runs one mail transaction and returns the server's reply to the message.
func (s *client) deliver(from, to string, msg []byte) (string, error) {
	if _, err := s.cmd(250, "MAIL FROM:<%s>", from); err != nil {
		return "", step("MAIL FROM <"+from+">", err)
	}
	if _, err := s.cmd(25, "RCPT TO:<%s>", to); err != nil {
		return "", step("RCPT TO <"+to+">", err)
	}
	if _, err := s.cmd(354, "DATA"); err != nil {
		return "", step("DATA", err)
	}
	w := s.text.DotWriter()
	if _, err := w.Write(msg); err != nil {
		return "", step("sending the message", err)
	}
	if err := w.Close(); err != nil {
		return "", step("sending the message", err)
	}
	_, reply, err := s.text.ReadResponse(250)
	return reply, step("end of DATA", err)
}

// quit ends the conversation politely; its failure changes nothing once the message is accepted.
func (s *client) quit() {
	s.cmd(221, "QUIT")
	s.close()
}
