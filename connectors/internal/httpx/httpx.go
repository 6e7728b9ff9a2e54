// Package httpx holds what the HTTP connectors share: the client they use, reading an answer,
// and turning an HTTP status into a permanent or transient error.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
)

// DefaultTimeout bounds one request when neither the connector's settings nor the caller's
// context say otherwise.
const DefaultTimeout = 30 * time.Second

// maxBody caps how much of an answer is read: providers answer in a few hundred bytes, and an
// error page from a misconfigured proxy should not fill memory.
const maxBody = 1 << 20

// Client returns the client to send with: the shared one when given, else one with a timeout.
// Redirects are never followed, since a client following a 301 or 302 turns a POST into a GET
// without its body and the message would silently be lost; a 3xx is reported instead.
func Client(shared *http.Client) *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if shared != nil {
		c = *shared
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Now returns the clock to use.
func Now(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

// Response is a provider's answer, read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Do sends req and reads the answer. A request that never got an answer (refused, reset, timed
// out) is a transient error, since the provider may well take the next try. The error names the
// provider and host but not the full URL, which may carry a token in its query.
func Do(c *http.Client, req *http.Request, provider string) (*Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, networkError(provider, req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, networkError(provider, req, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func networkError(provider string, req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return connectors.Transient(fmt.Errorf("%s: no answer from %s in time (%w); the message may or may not have been accepted", provider, req.URL.Host, err), 0)
	}
	return connectors.Transient(fmt.Errorf("%s: request to %s failed: %w", provider, req.URL.Host, err), 0)
}

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date, relative to now.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Transient reports whether a status is worth another try: a timeout (408), too many requests
// (429), or a server-side failure (5xx).
func Transient(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Classify turns a non-2xx answer into an error carrying detail (the provider's own explanation):
// transient with the Retry-After wait for 408, 429 and 5xx, permanent for everything else.
func Classify(provider string, r *Response, now time.Time, detail string) error {
	msg := fmt.Sprintf("%s answered %d %s", provider, r.Status, http.StatusText(r.Status))
	if r.Status >= 300 && r.Status < 400 {
		msg += fmt.Sprintf(" to %s; point the connector at the final address", r.Header.Get("Location"))
	}
	if detail != "" {
		msg += ": " + detail
	}
	if Transient(r.Status) {
		return connectors.Transient(errors.New(msg), RetryAfter(r.Header, now))
	}
	return connectors.Permanent(errors.New(msg))
}

// Snippet returns the start of a body for an error message when the provider's JSON could not be read.
func Snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// WithTimeout bounds ctx by d unless ctx already ends sooner.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
