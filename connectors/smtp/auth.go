package smtp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/wneessen/go-mail/smtp"
	"golang.org/x/oauth2"
)

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

// refusal is a conversation this connector ends itself because going on would be wrong under its
// settings; only a change of settings (or of the server) helps, so it is permanent.
type refusal struct{ error }

func (r refusal) Unwrap() error { return r.error }

// errNoStartTLS stops a conversation before the credentials would leave unencrypted.
var errNoStartTLS = errors.New("the server does not offer STARTTLS, so the credentials would travel unencrypted; " +
	"use tls: implicit if the server listens for TLS (usually port 465), or allow_plaintext_auth: true for a local development server")

// tokenError is a failure to get an OAuth 2.0 access token for XOAUTH2.
type tokenError struct{ err error }

func (e tokenError) Error() string { return "getting an OAuth 2.0 access token: " + e.err.Error() }
func (e tokenError) Unwrap() error { return e.err }

// permanent reports a token endpoint's refusal that no retry can change (a revoked or wrong
// refresh token, an unknown client); a network failure, a 429 or a 5xx may pass.
func (e tokenError) permanent() bool {
	var re *oauth2.RetrieveError
	if !errors.As(e.err, &re) || re.Response == nil {
		return false
	}
	code := re.Response.StatusCode
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests && code != http.StatusRequestTimeout
}

// authenticate logs in with the configured credentials: XOAUTH2 with a token, else PLAIN when
// offered, else LOGIN. It refuses to send credentials over a connection without TLS unless the
// settings allow it, and before a single byte of them leaves.
func (c *connector) authenticate(ctx context.Context, client *smtp.Client) error {
	cfg := &c.cfg
	if cfg.username == "" {
		return nil
	}
	if _, err := client.GetTLSConnectionState(); err != nil && !cfg.allowPlaintextAuth {
		return refusal{errNoStartTLS}
	}
	offered, list := client.Extension("AUTH")
	mechs := strings.Fields(strings.ToUpper(list))
	if !offered || len(mechs) == 0 {
		return refusal{step("AUTH", errors.New("the server offers no authentication; remove the credentials if it needs none"))}
	}
	if cfg.tokens != nil {
		if !slices.Contains(mechs, "XOAUTH2") {
			return refusal{step("AUTH", fmt.Errorf("the server offers %s, not XOAUTH2: give this server a password instead of a token", strings.Join(mechs, ", ")))}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		tok, err := cfg.tokens.Token()
		if err != nil {
			return tokenError{err}
		}
		return step("AUTH XOAUTH2", client.Auth(smtp.XOAuth2Auth(cfg.username, tok.AccessToken)))
	}
	// The TLS check is made above, for every mechanism; the library's own would let a password
	// go unencrypted to a server named localhost.
	switch {
	case slices.Contains(mechs, "PLAIN"):
		return step("AUTH PLAIN", client.Auth(smtp.PlainAuth("", cfg.username, cfg.password, cfg.host, true)))
	case slices.Contains(mechs, "LOGIN"):
		return step("AUTH LOGIN", client.Auth(smtp.LoginAuth(cfg.username, cfg.password, cfg.host, true)))
	}
	return refusal{step("AUTH", fmt.Errorf("the server offers %s, and a password works with PLAIN and LOGIN", strings.Join(mechs, ", ")))}
}
