package fcm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/httpx"
)

// Scope is the OAuth 2.0 scope that allows sending through FCM.
const Scope = "https://www.googleapis.com/auth/firebase.messaging"

// refreshMargin: a cached token is replaced this long before it expires, so a request never
// leaves with a token that expires on the way.
const refreshMargin = 5 * time.Minute

// tokens hands out the service account's access token, which golang.org/x/oauth2 obtains with a
// signed JWT, caches, and renews refreshMargin before it expires; concurrent sends share one.
type tokens struct {
	new func() oauth2.TokenSource

	mu   sync.Mutex
	src  oauth2.TokenSource
	last string // the token src gave last
}

func newTokens(cfg *jwt.Config, client *http.Client) *tokens {
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	t := &tokens{new: func() oauth2.TokenSource {
		return oauth2.ReuseTokenSourceWithExpiry(nil, cfg.TokenSource(ctx), refreshMargin)
	}}
	t.src = t.new()
	return t
}

// Token returns the current access token, fetching one when there is none or it is about to expire.
func (t *tokens) Token() (string, error) {
	t.mu.Lock()
	src := t.src
	t.mu.Unlock()
	tok, err := src.Token()
	if err != nil {
		return "", tokenError(err)
	}
	t.mu.Lock()
	t.last = tok.AccessToken
	t.mu.Unlock()
	return tok.AccessToken, nil
}

// Invalidate forgets tok if it is still the current one, after FCM refused it before it expired
// (revoked, or a clock gone wrong): the next send asks for a new one.
func (t *tokens) Invalidate(tok string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == tok {
		t.src, t.last = t.new(), ""
	}
}

// tokenError says what the token endpoint answered: a refusal of the credentials (4xx) is
// permanent, anything else (5xx, 429, no answer) transient.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return connectors.Transient(fmt.Errorf("fcm token endpoint: %w", err), 0)
	}
	detail := httpx.Snippet(re.Body)
	var a struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(re.Body, &a) == nil && a.Error != "" {
		detail = a.Error + ": " + a.Description
	}
	resp := &httpx.Response{Status: re.Response.StatusCode, Header: re.Response.Header, Body: re.Body}
	return httpx.Classify("fcm token endpoint", resp, time.Now(), detail+"; check credentials_file and that the service account is enabled")
}
