package fcm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/connectors/internal/httpx"
)

// Scope is the OAuth 2.0 scope that allows sending through FCM.
const Scope = "https://www.googleapis.com/auth/firebase.messaging"

// jwtBearer is the grant type of RFC 7523: a signed JWT exchanged for an access token.
const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// assertionLifetime is the longest Google accepts for the signed JWT.
const assertionLifetime = time.Hour

// refreshMargin: a cached token is replaced this long before it expires, so a request never
// leaves with a token that expires on the way.
const refreshMargin = 5 * time.Minute

// tokenSource obtains OAuth 2.0 access tokens for a service account and keeps the current one.
// Sends share it; the lock is held during a fetch so that concurrent sends wait for one token
// instead of each asking for their own.
type tokenSource struct {
	account *serviceAccount
	client  *http.Client
	now     func() time.Time

	mu      sync.Mutex
	token   string
	refresh time.Time // when to fetch a new one
}

func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.now().Before(s.refresh) {
		return s.token, nil
	}
	tok, lifetime, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := refreshMargin
	if lifetime <= 2*margin {
		margin = lifetime / 2
	}
	s.token, s.refresh = tok, s.now().Add(lifetime-margin)
	return tok, nil
}

// Invalidate drops tok if it is still the cached one, after FCM refused it.
func (s *tokenSource) Invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == tok {
		s.token = ""
	}
}

func (s *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	assertion, err := s.assertion()
	if err != nil {
		return "", 0, connectors.Permanent(fmt.Errorf("fcm: cannot sign the token request: %w", err))
	}
	form := url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.account.TokenURI, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, connectors.Permanent(fmt.Errorf("fcm: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpx.Do(s.client, req, "fcm token endpoint")
	if err != nil {
		return "", 0, err
	}
	var a struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	jsonErr := json.Unmarshal(resp.Body, &a)
	if !resp.OK() {
		detail := httpx.Snippet(resp.Body)
		if jsonErr == nil && a.Error != "" {
			detail = a.Error + ": " + a.Description
		}
		return "", 0, httpx.Classify("fcm token endpoint", resp, s.now(), detail+"; check credentials_file and that the service account is enabled")
	}
	if jsonErr != nil || a.AccessToken == "" {
		return "", 0, connectors.Transient(errors.New("fcm token endpoint answered without an access_token: "+httpx.Snippet(resp.Body)), 0)
	}
	lifetime := time.Duration(a.ExpiresIn) * time.Second
	if lifetime <= 0 {
		lifetime = assertionLifetime
	}
	return a.AccessToken, lifetime, nil
}

// assertion is the RS256-signed JWT that asks for a token with the FCM scope.
func (s *tokenSource) assertion() (string, error) {
	now := s.now()
	header := map[string]string{"alg": "RS256", "typ": "JWT"}
	if s.account.PrivateKeyID != "" {
		header["kid"] = s.account.PrivateKeyID
	}
	claims := map[string]any{
		"iss":   s.account.ClientEmail,
		"scope": Scope,
		"aud":   s.account.TokenURI,
		"iat":   now.Unix(),
		"exp":   now.Add(assertionLifetime).Unix(),
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.account.Key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
