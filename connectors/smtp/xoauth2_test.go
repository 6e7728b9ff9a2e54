package smtp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/afterglowhq/afterglow/connectors"
)

func withXOAUTH2(tokens ...string) func(*fakeServer) {
	return func(s *fakeServer) {
		s.offerStartTLS, s.authMechs, s.user, s.tokens = true, "LOGIN PLAIN XOAUTH2", "shop@tienda.example", tokens
	}
}

func TestXOAUTH2WithAToken(t *testing.T) {
	s := newFakeServer(t, false, withXOAUTH2("ya29.token-1"))
	c := newConnector(t, s, map[string]any{"username": "shop@tienda.example", "token": "ya29.token-1"})
	if _, err := c.Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); r.mechanism != "XOAUTH2" || r.user != "shop@tienda.example" || !r.tls {
		t.Errorf("mechanism %q, user %q, tls %v; want XOAUTH2 over TLS as shop@tienda.example", r.mechanism, r.user, r.tls)
	}
	if tried := s.authTried(); len(tried) != 1 || tried[0] != "XOAUTH2" {
		t.Errorf("mechanisms tried %v; want only XOAUTH2, though PLAIN and LOGIN are offered", tried)
	}
}

func TestXOAUTH2Refused(t *testing.T) {
	s := newFakeServer(t, false, withXOAUTH2("ya29.good"))
	_, err := newConnector(t, s, map[string]any{"username": "shop@tienda.example", "token": "ya29.expired"}).Send(context.Background(), email())
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "AUTH XOAUTH2: server answered 535 5.7.8") {
		t.Errorf("err = %v; want a permanent 535 after the XOAUTH2 challenge", err)
	}

	s = newFakeServer(t, false, func(s *fakeServer) { withXOAUTH2("ya29.good")(s); s.authMechs = "PLAIN LOGIN" })
	_, err = newConnector(t, s, map[string]any{"username": "shop@tienda.example", "token": "ya29.good"}).Send(context.Background(), email())
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "offers PLAIN, LOGIN, not XOAUTH2") {
		t.Errorf("err = %v; want a permanent refusal naming what the server offers", err)
	}
	if tried := s.authTried(); len(tried) != 0 {
		t.Errorf("tried %v on a server without XOAUTH2", tried)
	}
}

// tokenEndpoint is an OAuth 2.0 token endpoint (RFC 6749) for the refresh_token grant: it issues
// token-1, token-2, ... with the lifetime asked, or answers with the status given.
type tokenEndpoint struct {
	*httptest.Server
	mu       sync.Mutex
	issued   int
	lifetime int // expires_in, seconds
	status   int // when not 0, refuse with this status
}

func newTokenEndpoint(t *testing.T, lifetime int) *tokenEndpoint {
	e := &tokenEndpoint{lifetime: lifetime}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		user, pass, basic := r.BasicAuth()
		if !basic {
			user, pass = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != "1//refresh" ||
			user != "client-1" || pass != "client-secret" {
			t.Errorf("token request: grant %q refresh %q client %q:%q", r.PostForm.Get("grant_type"),
				r.PostForm.Get("refresh_token"), user, pass)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if e.status != 0 {
			w.WriteHeader(e.status)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Token has been expired or revoked."}`)
			return
		}
		e.issued++
		json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("token-%d", e.issued), "token_type": "Bearer", "expires_in": e.lifetime})
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *tokenEndpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issued
}

func oauth2Settings(e *tokenEndpoint, extra map[string]any) map[string]any {
	with := map[string]any{
		"username": "shop@tienda.example",
		"oauth2": map[string]any{
			"token_url": e.URL, "client_id": "client-1", "client_secret": "client-secret",
			"refresh_token": "1//refresh",
		},
	}
	for k, v := range extra {
		with[k] = v
	}
	return with
}

func TestXOAUTH2TokensAreCachedAndRefreshed(t *testing.T) {
	// A token for an hour serves every new session until then.
	e := newTokenEndpoint(t, 3600)
	s := newFakeServer(t, false, withXOAUTH2("token-1", "token-2", "token-3"))
	c := newConnector(t, s, oauth2Settings(e, map[string]any{"idle_connections": 0}))
	for i := range 3 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.bearerTokens(); strings.Join(got, ",") != "token-1,token-1,token-1" || e.count() != 1 {
		t.Errorf("three sessions offered %v after %d token requests; want token-1 each time from one request", got, e.count())
	}

	// A token about to expire is replaced before a session offers it.
	e = newTokenEndpoint(t, 5)
	s = newFakeServer(t, false, withXOAUTH2("token-1", "token-2", "token-3"))
	c = newConnector(t, s, oauth2Settings(e, map[string]any{"idle_connections": 0}))
	for i := range 2 {
		if _, err := c.Send(context.Background(), keyed(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.bearerTokens(); strings.Join(got, ",") != "token-1,token-2" {
		t.Errorf("sessions offered %v; want a fresh token for the second, the first being about to expire", got)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	for _, c := range []struct {
		status    int
		permanent bool
	}{{http.StatusBadRequest, true}, {http.StatusUnauthorized, true}, {http.StatusServiceUnavailable, false}, {http.StatusTooManyRequests, false}} {
		e := newTokenEndpoint(t, 3600)
		e.status = c.status
		s := newFakeServer(t, false, withXOAUTH2("token-1"))
		_, err := newConnector(t, s, oauth2Settings(e, nil)).Send(context.Background(), email())
		if err == nil || connectors.IsPermanent(err) != c.permanent || !strings.Contains(err.Error(), "access token") {
			t.Errorf("token endpoint answering %d: err = %v; want permanent=%v, naming the access token", c.status, err, c.permanent)
		}
		if len(s.transactions()) != 0 {
			t.Errorf("token endpoint answering %d: a message went out", c.status)
		}
	}
}

func TestXOAUTH2Settings(t *testing.T) {
	base := map[string]any{"host": "smtp.gmail.com", "from": "a@b.example"}
	cases := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{"token": "t"}, `setting "username": is required with a password, a token or oauth2`},
		{map[string]any{"username": "u", "token": "t", "password": "p"}, `password, token and oauth2 exclude each other`},
		{map[string]any{"username": "u", "oauth2": map[string]any{"client_id": "c"}}, `setting "oauth2.token_url": is required`},
		{map[string]any{"username": "u", "oauth2": map[string]any{"token_url": "https://x.example/token", "client_id": "c"}}, `setting "oauth2.refresh_token": is required`},
		{map[string]any{"username": "u", "oauth2": map[string]any{"token_url": "https://x.example/token", "client_id": "c", "refresh_token": "r", "scope": "x"}}, `unknown setting "oauth2.scope"`},
	}
	for _, tc := range cases {
		with := map[string]any{}
		for k, v := range base {
			with[k] = v
		}
		for k, v := range tc.with {
			with[k] = v
		}
		_, err := New(with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}
}
