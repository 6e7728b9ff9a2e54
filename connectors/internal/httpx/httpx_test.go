package httpx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 10, 14, 15, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"soon":                          0,
		"Tue, 14 Oct 2025 15:01:30 GMT": 90 * time.Second,
		"Tue, 14 Oct 2025 14:00:00 GMT": 0,
	}
	for v, want := range cases {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	now := time.Now()
	for status, permanent := range map[int]bool{400: true, 401: true, 404: true, 301: true, 408: false, 429: false, 500: false, 503: false} {
		err := Classify("demo", &Response{Status: status, Header: http.Header{"Retry-After": {"5"}}}, now, "why")
		if connectors.IsPermanent(err) != permanent {
			t.Errorf("%d: permanent = %v, want %v", status, !permanent, permanent)
		}
		if !permanent && connectors.RetryAfter(err) != 5*time.Second {
			t.Errorf("%d: retry after = %v", status, connectors.RetryAfter(err))
		}
		if !strings.Contains(err.Error(), "why") {
			t.Errorf("%d: detail lost: %v", status, err)
		}
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
			return
		}
		t.Errorf("redirect followed to %s %s", r.Method, r.URL.Path)
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/old", strings.NewReader("{}"))
	resp, err := Do(Client(nil), req, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusMovedPermanently {
		t.Fatalf("status = %d", resp.Status)
	}
	if err := Classify("demo", resp, time.Now(), ""); !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "/new") {
		t.Errorf("redirect error = %v", err)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/?token=secret", nil)
	_, err := Do(Client(nil), req, "demo")
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks the query: %v", err)
	}
	if !strings.Contains(err.Error(), "in time") {
		t.Errorf("error does not say it timed out: %v", err)
	}
}
