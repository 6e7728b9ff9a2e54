// Package connectors defines how a rendered message leaves Afterglow: the Connector interface, the
// registry every provider adds itself to, and the error kinds that tell a dispatcher whether to retry.
//
// A connector lives in its own folder under connectors/ and registers a Spec from an init function;
// connectors/all imports every built-in one.
package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/afterglowhq/afterglow/internal/registry"
	"github.com/afterglowhq/afterglow/message"
	"github.com/rs/zerolog"
)

// Result is what the provider said when it accepted the message.
type Result struct {
	ProviderID string // the provider's own id for the message, when it gives one
}

// Connector sends messages through one provider account.
type Connector interface {
	Send(ctx context.Context, m message.Message) (Result, error)
}

// Options are the shared resources a connector may use. Zero values are replaced by defaults.
type Options struct {
	HTTPClient *http.Client
	Logger     zerolog.Logger
	Out        io.Writer        // where the console connector prints
	Now        func() time.Time // the clock: an email's Date, a Retry-After given as a date
}

// Spec describes a connector kind: its name in afterglow.yaml, what it carries, the JSON Schema of
// its `with` settings, and how to build one.
type Spec struct {
	Name    string
	Summary string
	Shapes  []message.Shape
	Schema  json.RawMessage // JSON Schema 2020-12 of `with`; every property has a description
	New     func(with map[string]any, opts Options) (Connector, error)
}

var known = registry.New[Spec]("connectors")

// Register adds a connector kind. It panics on a duplicate name or a spec without a constructor,
// since both are programming errors found at start-up.
func Register(s Spec) {
	if s.Name == "" || s.New == nil || len(s.Shapes) == 0 {
		panic("connectors: incomplete spec " + s.Name)
	}
	known.Add(s.Name, s)
}

// Lookup returns the spec of a connector kind.
func Lookup(name string) (Spec, bool) { return known.Lookup(name) }

// All returns every registered spec, sorted by name.
func All() []Spec { return known.All() }

// Names returns the registered connector names, sorted.
func Names() []string { return known.Names() }

// Carries reports whether the spec can carry a shape.
func (s Spec) Carries(sh message.Shape) bool {
	for _, x := range s.Shapes {
		if x == sh {
			return true
		}
	}
	return false
}

// Error classifies a failed send. Permanent failures are never retried; transient ones are,
// after RetryAfter when the provider said how long to wait.
type Error struct {
	Permanent  bool
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("%s: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying (a bad address, a rejected template, a 4xx).
func Permanent(err error) error { return &Error{Permanent: true, Err: err} }

// Transient marks err as worth retrying, after retryAfter when it is known (zero: use backoff).
func Transient(err error, retryAfter time.Duration) error {
	return &Error{RetryAfter: retryAfter, Err: err}
}

// IsPermanent reports whether err was marked permanent. Unmarked errors are transient: a network
// failure is the common unmarked error and is worth another try.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter returns the wait the provider asked for, or zero.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// NewHTTPClient is the client providers are called with. The standard transport keeps two idle
// connections per host, so a dispatcher with dozens of sends in flight to one API would open a
// new TCP and TLS connection for most of them; this one keeps as many as are in flight.
func NewHTTPClient(timeout time.Duration, inFlight int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(inFlight, 2)
	t.MaxIdleConns = max(t.MaxIdleConns, 4*inFlight)
	return &http.Client{Timeout: timeout, Transport: t}
}
