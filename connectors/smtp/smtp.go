// Package smtp sends email through an SMTP server with github.com/wneessen/go-mail: STARTTLS or
// implicit TLS; PLAIN or LOGIN with a password, or XOAUTH2 with an OAuth 2.0 token for providers
// that no longer take passwords; connections kept open and reused across messages; and a MIME
// message with a text and an HTML part, a Message-ID derived from the idempotency key, and
// one-click unsubscribe headers (RFC 8058).
//
// SMTP has no idempotency key. The Message-ID is the same on every retry of a message, which lets
// receiving systems that track Message-IDs discard a duplicate, but most mailboxes show both: when
// the server accepted the message and the connection broke before its answer arrived, the retry
// delivers it twice.
package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"net"
	"net/http"
	"net/mail"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	gomail "github.com/wneessen/go-mail"
	"golang.org/x/oauth2"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/message"
)

//go:embed schema.json
var schema []byte

func init() {
	connectors.Register(connectors.Spec{
		Name:    "smtp",
		Summary: "email through an SMTP server",
		Shapes:  []message.Shape{message.Email},
		Schema:  schema,
		New:     New,
	})
}

// Defaults of the settings.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultIdleConnections = 4
	// DefaultIdleTimeout is well under the five minutes RFC 5321 lets a server wait for a command,
	// and under what providers' relays allow, so that a kept connection is rarely found closed.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultMessagesPerConnection stays under the per-session limits of the large providers.
	DefaultMessagesPerConnection = 100
)

// TLS modes.
const (
	StartTLS = "starttls"
	Implicit = "implicit"
	NoTLS    = "none"
)

var defaultPorts = map[string]int{StartTLS: 587, Implicit: 465, NoTLS: 25}

type config struct {
	addr               string
	host               string
	port               int
	username, password string
	tokens             oauth2.TokenSource // set: XOAUTH2 instead of a password
	from               *mail.Address
	replyTo            *mail.Address
	mode               string
	tls                *tls.Config
	allowPlaintextAuth bool
	heloName           string
	timeout            time.Duration

	idleConnections       int
	idleTimeout           time.Duration
	messagesPerConnection int
}

type connector struct {
	cfg    config
	dialer *gomail.Client // dials, greets and starts TLS; the connector authenticates and sends
	pool   *pool
	now    func() time.Time
	log    zerolog.Logger
}

// New builds an SMTP connector from its settings.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("smtp", with)
	var c config
	c.host = r.Required("host")
	c.mode = r.Enum("tls", StartTLS, StartTLS, Implicit, NoTLS)
	c.port = r.Int("port", defaultPorts[c.mode], 1, 65535)
	c.username = r.String("username", "")
	c.password = r.String("password", "")
	token := r.String("token", "")
	refresh := r.Object("oauth2")
	from := r.Required("from")
	replyTo := r.String("reply_to", "")
	caFile := r.String("ca_file", "")
	skipVerify := r.Bool("insecure_skip_verify", false)
	c.allowPlaintextAuth = r.Bool("allow_plaintext_auth", false)
	c.heloName = r.String("helo_name", "")
	c.timeout = r.Duration("timeout", DefaultTimeout)
	c.idleConnections = r.Int("idle_connections", DefaultIdleConnections, 0, 1000)
	c.idleTimeout = r.Duration("idle_timeout", DefaultIdleTimeout)
	c.messagesPerConnection = r.Int("messages_per_connection", DefaultMessagesPerConnection, 1, 1_000_000)

	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil {
			r.Fail("from", "want an address such as \"Tienda <hola@tienda.example>\", got %q: %v", from, err)
		}
		c.from = a
	}
	if replyTo != "" {
		a, err := mail.ParseAddress(replyTo)
		if err != nil {
			r.Fail("reply_to", "want an address such as \"Ayuda <ayuda@tienda.example>\", got %q: %v", replyTo, err)
		}
		c.replyTo = a
	}
	secrets := 0
	for _, set := range []bool{c.password != "", token != "", refresh != nil} {
		if set {
			secrets++
		}
	}
	switch {
	case secrets > 1:
		r.Fail("password", "password, token and oauth2 exclude each other: set one (a password for PLAIN or LOGIN, a token or oauth2 for XOAUTH2)")
	case c.username == "" && secrets == 1:
		r.Fail("username", "is required with a password, a token or oauth2 (is its ${VAR} unset?)")
	case c.username != "" && secrets == 0:
		r.Fail("password", "a username needs a password, a token or oauth2; set one, or neither (is the ${VAR} of one unset?)")
	}
	if c.username != "" && c.mode == NoTLS && !c.allowPlaintextAuth {
		r.Fail("tls", "none would send the credentials unencrypted; use starttls or implicit, or set allow_plaintext_auth: true for a local development server")
	}
	c.tls = &tls.Config{ServerName: c.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: skipVerify}
	if caFile != "" {
		pemBytes, err := os.ReadFile(caFile)
		pool := x509.NewCertPool()
		switch {
		case err != nil:
			r.Fail("ca_file", "cannot read it: %v", err)
		case !pool.AppendCertsFromPEM(pemBytes):
			r.Fail("ca_file", "%s holds no PEM certificate", caFile)
		default:
			c.tls.RootCAs = pool
		}
	}
	if c.heloName == "" {
		c.heloName = "localhost"
		if h, err := os.Hostname(); err == nil && h != "" {
			c.heloName = h
		}
	}
	switch {
	case token != "":
		c.tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"})
	case refresh != nil:
		c.tokens = refreshingTokens(refresh, opts.HTTPClient, c.timeout)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	c.addr = net.JoinHostPort(c.host, strconv.Itoa(c.port))
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	conn := &connector{cfg: c, now: now, log: opts.Logger}
	conn.pool = &pool{max: c.idleConnections, idleTimeout: c.idleTimeout, perConnection: c.messagesPerConnection}
	d, err := conn.newDialer()
	if err != nil {
		return nil, err
	}
	conn.dialer = d
	return conn, nil
}

// refreshingTokens exchanges a refresh token for access tokens at the provider's token endpoint
// (RFC 6749, section 6), keeps the current one and asks for the next shortly before it expires.
func refreshingTokens(r *settings.Reader, client *http.Client, timeout time.Duration) oauth2.TokenSource {
	tokenURL := r.RequiredURL("token_url")
	cfg := &oauth2.Config{
		ClientID:     r.Required("client_id"),
		ClientSecret: r.String("client_secret", ""),
	}
	refreshToken := r.Required("refresh_token")
	if tokenURL == nil {
		return nil
	}
	cfg.Endpoint = oauth2.Endpoint{TokenURL: tokenURL.String()}
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken})
}
