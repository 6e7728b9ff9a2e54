package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// delivery is one POST the sink received from the webhook connector.
type delivery struct {
	Path    string // /email or /crm: the channel's endpoint
	Key     string // the Idempotency-Key header
	Process string // the X-Afterglow-Process header the process's settings add
	SigOK   bool   // X-Afterglow-Signature is the HMAC of the body under the channel secret
	Sig     string
	Raw     []byte
	Body    webhookBody
	At      time.Time
}

// webhookBody is the JSON the webhook connector posts (connectors/webhook/doc.go).
type webhookBody struct {
	ID             string `json:"id"`
	IdempotencyKey string `json:"idempotency_key"`
	Channel        string `json:"channel"`
	Shape          string `json:"shape"`
	Category       string `json:"category"`
	Flow           string `json:"flow"`
	Step           string `json:"step"`
	CustomerID     string `json:"customer_id"`
	To             struct {
		CustomerID string `json:"customer_id"`
		Email      string `json:"email"`
		Name       string `json:"name"`
	} `json:"to"`
	Content struct {
		Subject string `json:"subject"`
		Text    string `json:"text"`
	} `json:"content"`
	Payload        map[string]any `json:"payload"`
	UnsubscribeURL string         `json:"unsubscribe_url"`
}

// text is what a check for content looks in.
func (d delivery) text() string {
	s := d.Body.Content.Subject + "\n" + d.Body.Content.Text
	if d.Body.Payload != nil {
		b, _ := json.Marshal(d.Body.Payload)
		s += "\n" + string(b)
	}
	return s
}

// sink is the shop's own endpoint that every channel points at: it records every request and
// answers 200, after Delay when set (so that sends are in flight when a process dies).
type sink struct {
	srv    *httptest.Server
	secret []byte

	mu    sync.Mutex
	got   []delivery
	delay time.Duration
}

func newSink(t *testing.T, secret string) *sink {
	s := &sink{secret: []byte(secret)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) URL() string { return s.srv.URL }

func (s *sink) setDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := delivery{Path: r.URL.Path, Key: r.Header.Get("Idempotency-Key"), Process: r.Header.Get("X-Afterglow-Process"),
		Sig: r.Header.Get("X-Afterglow-Signature"), Raw: raw, At: time.Now()}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(raw)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	d.SigOK = hmac.Equal([]byte(d.Sig), []byte(want))
	if err := json.Unmarshal(raw, &d.Body); err != nil {
		d.Body.ID = "(not JSON: " + err.Error() + ")"
	}
	s.mu.Lock()
	n := len(s.got)
	s.got = append(s.got, d)
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"sink-%d"}`, n)
}

// all returns what the sink received so far.
func (s *sink) all() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

// matching returns the deliveries for which keep is true.
func (s *sink) matching(keep func(delivery) bool) []delivery {
	var out []delivery
	for _, d := range s.all() {
		if keep(d) {
			out = append(out, d)
		}
	}
	return out
}

// await polls until at least n deliveries match, and fails the test at the deadline.
func (s *sink) await(t *testing.T, what string, n int, keep func(delivery) bool) []delivery {
	t.Helper()
	var got []delivery
	eventually(t, 20*time.Second, func() (bool, string) {
		got = s.matching(keep)
		return len(got) >= n, fmt.Sprintf("the sink received %d of the %d %s expected; everything it received:\n%s", len(got), n, what, s.summary())
	})
	return got
}

// summary lists what the sink received, for failure messages.
func (s *sink) summary() string {
	var b strings.Builder
	for _, d := range s.all() {
		fmt.Fprintf(&b, "  %s flow=%s step=%s customer=%s key=%s %q\n", d.Path, d.Body.Flow, d.Body.Step, d.Body.CustomerID, d.Key, strings.ReplaceAll(d.text(), "\n", " | "))
	}
	return b.String()
}

// byFlow matches the deliveries of one flow to one customer.
func byFlow(flow, customer string) func(delivery) bool {
	return func(d delivery) bool { return d.Body.Flow == flow && d.Body.CustomerID == customer }
}

// checkDeliveries asserts what every request to the sink must satisfy.
func checkDeliveries(t *testing.T, ds []delivery) {
	t.Helper()
	for _, d := range ds {
		if !d.SigOK {
			t.Errorf("delivery of message %s has X-Afterglow-Signature %q, not the HMAC-SHA256 of its body under the channel secret", d.Body.ID, d.Sig)
		}
		if d.Key == "" || d.Key != d.Body.IdempotencyKey {
			t.Errorf("delivery of message %s has Idempotency-Key %q, and its body idempotency_key %q; want both set and equal", d.Body.ID, d.Key, d.Body.IdempotencyKey)
		}
	}
}

// eventually polls cond until it holds, failing the test with cond's last explanation at the
// deadline. Every wait in these tests is a poll with a deadline: a fixed sleep would be either
// flaky or slow.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := 20 * time.Millisecond
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not so after %s: %s", timeout, why)
		}
		time.Sleep(wait)
		wait = min(wait*2, 250*time.Millisecond)
	}
}
