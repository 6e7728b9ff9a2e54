// These tests run the connector against two local httptest.Servers that speak Google's documented
// wire formats: an OAuth 2.0 token endpoint taking the RFC 7523 JWT-bearer grant (form-encoded
// grant_type and assertion, answering {"access_token", "expires_in", "token_type"} or
// {"error", "error_description"}), and the FCM HTTP v1 endpoint
// POST /v1/projects/{project_id}/messages:send, answering {"name": "projects/.../messages/..."} or a
// Google API error {"error": {"code", "message", "status", "details": [{"errorCode"}]}}.
package fcm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func key(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// clock is the connector's Options.Now, fixed, against which Retry-After dates are read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// google plays both endpoints and records what they received.
type google struct {
	t       *testing.T
	key     *rsa.PublicKey
	server  *httptest.Server
	mu      sync.Mutex
	fetches int

	tokenStatus int    // when set, the token endpoint fails with it
	tokenAnswer string // and this body
	expiresIn   int    // the lifetime of the tokens issued, in seconds

	sendStatus int               // when set, the send endpoint fails with it
	sendHeader map[string]string // and these headers
	sendAnswer string            // and this body
	sendDelay  time.Duration

	sends []sent
}

type sent struct {
	path, auth, contentType string
	body                    map[string]any
}

func newGoogle(t *testing.T) *google {
	g := &google{t: t, key: &key(t).PublicKey, expiresIn: 3599}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", g.token)
	mux.HandleFunc("POST /v1/projects/{project}/{action}", g.send)
	g.server = httptest.NewServer(mux)
	t.Cleanup(g.server.Close)
	return g
}

func (g *google) token(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		g.t.Errorf("token request content type = %q", ct)
	}
	r.ParseForm()
	if gt := r.PostForm.Get("grant_type"); gt != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		g.t.Errorf("grant_type = %q", gt)
	}
	g.checkAssertion(r.PostForm.Get("assertion"))
	w.Header().Set("Content-Type", "application/json")
	if g.tokenStatus != 0 {
		w.WriteHeader(g.tokenStatus)
		io.WriteString(w, g.tokenAnswer)
		return
	}
	g.fetches++
	fmt.Fprintf(w, `{"access_token":"ya29.token-%d","expires_in":%d,"token_type":"Bearer"}`, g.fetches, g.expiresIn)
}

// checkAssertion verifies the JWT as Google does: RS256 over header.claims with the service
// account's public key, and the claims that ask for an FCM token.
func (g *google) checkAssertion(jwt string) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		g.t.Errorf("assertion is not a JWT: %q", jwt)
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		g.t.Errorf("signature encoding: %v", err)
		return
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(g.key, crypto.SHA256, sum[:], sig); err != nil {
		g.t.Errorf("JWT signature does not verify: %v", err)
	}
	var header, claims map[string]any
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil {
		g.t.Errorf("JWT parts are not JSON: %s / %s", h, c)
		return
	}
	if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] != "key-1" {
		g.t.Errorf("JWT header = %v", header)
	}
	want := map[string]any{
		"iss":   "afterglow@shop-app.iam.gserviceaccount.com",
		"scope": "https://www.googleapis.com/auth/firebase.messaging",
		"aud":   g.server.URL + "/token",
	}
	for k, v := range want {
		if claims[k] != v {
			g.t.Errorf("JWT claim %s = %v, want %v", k, claims[k], v)
		}
	}
	// Issued now (back-dated a little for clock skew), valid for the hour Google allows at most.
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	if now := float64(time.Now().Unix()); iat < now-120 || iat > now+5 || exp-iat != 3600 {
		g.t.Errorf("JWT claims iat %v, exp %v; want iat about now (%v) and exp an hour later", iat, exp, now)
	}
}

func (g *google) send(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	s := sent{path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type")}
	if err := json.Unmarshal(raw, &s.body); err != nil {
		g.t.Errorf("send body is not JSON: %s", raw)
	}
	g.sends = append(g.sends, s)
	status, header, answer, delay := g.sendStatus, g.sendHeader, g.sendAnswer, g.sendDelay
	g.mu.Unlock()
	if delay > 0 {
		select {
		case <-r.Context().Done():
		case <-time.After(delay):
		}
	}
	for k, v := range header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, answer)
		return
	}
	io.WriteString(w, `{"name":"projects/shop-app/messages/0:1500415314455276%31bd1c9631bd1c96"}`)
}

func (g *google) lastSend(t *testing.T) sent {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sends) == 0 {
		t.Fatal("nothing reached the send endpoint")
	}
	return g.sends[len(g.sends)-1]
}

func (g *google) counts() (fetches, sends int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fetches, len(g.sends)
}

// fail makes the send endpoint answer status with header and answer (status 0: succeed).
func (g *google) fail(status int, header map[string]string, answer string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sendStatus, g.sendHeader, g.sendAnswer = status, header, answer
}

func writeCredentials(t *testing.T, tokenURI string, project string) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key(t))
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{
		"type":           "service_account",
		"project_id":     project,
		"private_key_id": "key-1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "afterglow@shop-app.iam.gserviceaccount.com",
		"client_id":      "1234567890",
		"token_uri":      tokenURI,
	}
	raw, _ := json.Marshal(creds)
	path := filepath.Join(t.TempDir(), "service-account.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func setup(t *testing.T, extra map[string]any) (*google, *clock, connectors.Connector) {
	t.Helper()
	c := &clock{t: time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)}
	g := newGoogle(t)
	with := map[string]any{"credentials_file": writeCredentials(t, g.server.URL+"/token", "shop-app"), "base_url": g.server.URL}
	for k, v := range extra {
		with[k] = v
	}
	conn, err := New(with, connectors.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return g, c, conn
}

func push() message.Message {
	return message.Message{
		ID: "msg-1", IdempotencyKey: "journey-4/cross-sell", Channel: "push", Shape: message.Push,
		To:      message.Recipient{CustomerID: "7001", PushToken: "dGVzdC1kZXZpY2UtdG9rZW4"},
		Content: message.Content{Title: "¿Te gustó tu café?", Body: "Prueba el molinillo a juego", URL: "https://shop.example/p/grinder"},
	}
}

func TestSendWithServiceAccountToken(t *testing.T) {
	g, _, c := setup(t, nil)
	res, err := c.Send(context.Background(), push())
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderID != "projects/shop-app/messages/0:1500415314455276%31bd1c9631bd1c96" {
		t.Errorf("provider id = %q", res.ProviderID)
	}
	s := g.lastSend(t)
	if s.path != "/v1/projects/shop-app/messages:send" {
		t.Errorf("path = %q", s.path)
	}
	if s.auth != "Bearer ya29.token-1" || s.contentType != "application/json" {
		t.Errorf("authorization %q, content type %q", s.auth, s.contentType)
	}
	msg, _ := s.body["message"].(map[string]any)
	if msg["token"] != "dGVzdC1kZXZpY2UtdG9rZW4" {
		t.Errorf("token = %v", msg["token"])
	}
	n, _ := msg["notification"].(map[string]any)
	if n["title"] != "¿Te gustó tu café?" || n["body"] != "Prueba el molinillo a juego" {
		t.Errorf("notification = %v", n)
	}
	if d, _ := msg["data"].(map[string]any); d["url"] != "https://shop.example/p/grinder" {
		t.Errorf("data = %v", msg["data"])
	}
	wp, _ := msg["webpush"].(map[string]any)
	if o, _ := wp["fcm_options"].(map[string]any); o["link"] != "https://shop.example/p/grinder" {
		t.Errorf("webpush = %v", msg["webpush"])
	}
}

func TestPlainHTTPLinkStaysInData(t *testing.T) {
	g, _, c := setup(t, nil)
	m := push()
	m.Content.URL = "myshop://orders/1001"
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg, _ := g.lastSend(t).body["message"].(map[string]any)
	if _, has := msg["webpush"]; has {
		t.Errorf("webpush link sent for a non-https URL: %v", msg["webpush"])
	}
	if d, _ := msg["data"].(map[string]any); d["url"] != "myshop://orders/1001" {
		t.Errorf("data = %v", msg["data"])
	}
}

func TestTokenIsCachedUntilShortlyBeforeExpiry(t *testing.T) {
	g, _, c := setup(t, nil)
	for range 3 {
		if _, err := c.Send(context.Background(), push()); err != nil {
			t.Fatal(err)
		}
	}
	if f, _ := g.counts(); f != 1 {
		t.Fatalf("fetched %d tokens for three sends with a token valid for an hour, want 1", f)
	}

	// A token is replaced five minutes before it expires. This one has five minutes and two
	// seconds to live: kept at once, replaced three seconds later.
	g, _, c = setup(t, nil)
	g.mu.Lock()
	g.expiresIn = 302
	g.mu.Unlock()
	for range 2 {
		if _, err := c.Send(context.Background(), push()); err != nil {
			t.Fatal(err)
		}
	}
	if f, _ := g.counts(); f != 1 {
		t.Errorf("fetched %d tokens; want the one still more than five minutes from expiry kept", f)
	}
	time.Sleep(3 * time.Second)
	if _, err := c.Send(context.Background(), push()); err != nil {
		t.Fatal(err)
	}
	if f, _ := g.counts(); f != 2 || g.lastSend(t).auth != "Bearer ya29.token-2" {
		t.Errorf("fetches = %d, last authorization %q; want a fresh token within five minutes of expiry", f, g.lastSend(t).auth)
	}
}

func TestRefusedTokenIsDroppedAndRetried(t *testing.T) {
	g, _, c := setup(t, nil)
	g.fail(http.StatusUnauthorized, nil, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
	_, err := c.Send(context.Background(), push())
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	g.fail(0, nil, "")
	if _, err := c.Send(context.Background(), push()); err != nil {
		t.Fatal(err)
	}
	if f, _ := g.counts(); f != 2 || g.lastSend(t).auth != "Bearer ya29.token-2" {
		t.Errorf("fetches = %d, authorization %q; want a new token after the 401", f, g.lastSend(t).auth)
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	fcmError := func(code int, status, errorCode, msg string) string {
		return fmt.Sprintf(`{"error":{"code":%d,"message":%q,"status":%q,"details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":%q}]}}`, code, msg, status, errorCode)
	}
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		answer    string
		permanent bool
		wait      time.Duration
		says      string
	}{
		{"invalid argument", 400, nil, fcmError(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"), true, 0, "INVALID_ARGUMENT"},
		{"unregistered", 404, nil, fcmError(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found."), true, 0, "clear the customer's push_token"},
		{"sender mismatch", 403, nil, fcmError(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"), true, 0, "SENDER_ID_MISMATCH"},
		{"apns auth", 401, nil, fcmError(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", "Auth error from APNS or Web Push Service"), true, 0, "APNs certificate"},
		{"quota", 429, map[string]string{"Retry-After": "60"}, fcmError(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded"), false, time.Minute, "QUOTA_EXCEEDED"},
		{"unavailable", 503, map[string]string{"Retry-After": "5"}, fcmError(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."), false, 5 * time.Second, "UNAVAILABLE"},
		{"internal", 500, nil, fcmError(500, "INTERNAL", "INTERNAL", "Internal error encountered."), false, 0, "INTERNAL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _, c := setup(t, nil)
			g.fail(tc.status, tc.header, tc.answer)
			_, err := c.Send(context.Background(), push())
			if err == nil {
				t.Fatal("no error")
			}
			if connectors.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if got := connectors.RetryAfter(err); got != tc.wait {
				t.Errorf("retry after = %v, want %v", got, tc.wait)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q lacks %q", err, tc.says)
			}
		})
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		answer    string
		permanent bool
		says      string
	}{
		{400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, true, "invalid_grant: Invalid JWT Signature."},
		{503, `upstream unavailable`, false, "503"},
	} {
		g, _, c := setup(t, nil)
		g.mu.Lock()
		g.tokenStatus, g.tokenAnswer = tc.status, tc.answer
		g.mu.Unlock()
		_, err := c.Send(context.Background(), push())
		if err == nil || connectors.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("token endpoint %d: err = %v, want permanent=%v containing %q", tc.status, err, tc.permanent, tc.says)
		}
		if _, n := g.counts(); n != 0 {
			t.Errorf("token endpoint %d: message sent without a token", tc.status)
		}
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	g, _, c := setup(t, map[string]any{"timeout": "150ms"})
	g.mu.Lock()
	g.sendDelay = 5 * time.Second
	g.mu.Unlock()
	start := time.Now()
	_, err := c.Send(context.Background(), push())
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout ignored: took %v", time.Since(start))
	}
}

func TestUnsendableMessagesArePermanent(t *testing.T) {
	g, _, c := setup(t, nil)
	noToken := push()
	noToken.To.PushToken = ""
	empty := push()
	empty.Content = message.Content{URL: "https://shop.example"}
	email := push()
	email.Shape = message.Email
	for name, m := range map[string]message.Message{"no token": noToken, "no title or body": empty, "email shape": email} {
		if _, err := c.Send(context.Background(), m); !connectors.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if _, n := g.counts(); n != 0 {
		t.Errorf("%d unsendable messages reached FCM", n)
	}
}

func TestSettings(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(notJSON, []byte("-----BEGIN PRIVATE KEY-----"), 0o600)
	noProject := writeCredentials(t, "https://oauth2.googleapis.com/token", "")
	withProject := writeCredentials(t, "https://oauth2.googleapis.com/token", "from-file")

	for _, tc := range []struct {
		with map[string]any
		want string
	}{
		{map[string]any{}, `setting "credentials_file": is required`},
		{map[string]any{"credentials_file": filepath.Join(dir, "missing.json")}, "cannot read the service account key file"},
		{map[string]any{"credentials_file": notJSON}, "is not a service account key file"},
		{map[string]any{"credentials_file": noProject}, `setting "project_id": is required`},
	} {
		_, err := New(tc.with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}

	c, err := New(map[string]any{"credentials_file": withProject}, connectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(*fcm).endpoint; got != "https://fcm.googleapis.com/v1/projects/from-file/messages:send" {
		t.Errorf("endpoint = %q", got)
	}
	c, err = New(map[string]any{"credentials_file": withProject, "project_id": "shop-app"}, connectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.(*fcm).endpoint; !strings.Contains(got, "/projects/shop-app/") {
		t.Errorf("project_id setting ignored: %q", got)
	}
	if _, err := url.Parse(c.(*fcm).endpoint); err != nil {
		t.Error(err)
	}
}
