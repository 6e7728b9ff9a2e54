// Package smtp sends email through an SMTP server: STARTTLS or implicit TLS, PLAIN or LOGIN
// authentication, and a MIME message with a text and an HTML part, RFC 2047 headers, a Message-ID
// derived from the idempotency key, and one-click unsubscribe headers (RFC 8058).
//
// SMTP has no idempotency key. The Message-ID is the same on every retry of a message, which lets
// receiving systems that track Message-IDs discard a duplicate, but most mailboxes show both: when
// the server accepted the message and the connection broke before its answer arrived, the retry
// delivers it twice.
package smtp

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"net"
	"net/mail"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/settings"
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

// DefaultTimeout bounds one delivery.
const DefaultTimeout = 30 * time.Second

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
	username, password string
	from               *mail.Address
	replyTo            *mail.Address
	mode               string
	tls                *tls.Config
	allowPlaintextAuth bool
	heloName           string
	timeout            time.Duration
}

type connector struct {
	cfg config
	now func() time.Time
	log zerolog.Logger
}

// New builds an SMTP connector from its settings.
func New(with map[string]any, opts connectors.Options) (connectors.Connector, error) {
	r := settings.New("smtp", with)
	var c config
	c.host = r.Required("host")
	c.mode = r.Enum("tls", StartTLS, StartTLS, Implicit, NoTLS)
	port := r.Int("port", defaultPorts[c.mode], 1, 65535)
	c.username = r.String("username", "")
	c.password = r.String("password", "")
	from := r.Required("from")
	replyTo := r.String("reply_to", "")
	caFile := r.String("ca_file", "")
	skipVerify := r.Bool("insecure_skip_verify", false)
	c.allowPlaintextAuth = r.Bool("allow_plaintext_auth", false)
	c.heloName = r.String("helo_name", "")
	c.timeout = r.Duration("timeout", DefaultTimeout)

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
	if (c.username == "") != (c.password == "") {
		r.Fail("password", "username and password go together; set both or neither (is the ${VAR} of one unset?)")
	}
	if c.username != "" && c.mode == NoTLS && !c.allowPlaintextAuth {
		r.Fail("tls", "none would send the password unencrypted; use starttls or implicit, or set allow_plaintext_auth: true for a local development server")
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
	if err := r.Err(); err != nil {
		return nil, err
	}
	c.addr = net.JoinHostPort(c.host, strconv.Itoa(port))
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &connector{cfg: c, now: now, log: opts.Logger}, nil
}
