package sources

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBody is the body limit of the canonical HTTP source: far above any real batch of
// events, far below what could exhaust memory.
const DefaultMaxBody int64 = 1 << 20

// DefaultMaxWebhookBody is the body limit of the platform webhooks: a Shopify order with hundreds
// of lines, each repeating its prices in two currencies, runs to several hundred kilobytes.
const DefaultMaxWebhookBody int64 = 5 << 20

// ErrTooLarge means the body is longer than the limit; answer 413.
var ErrTooLarge = errors.New("request body too large")

// ErrTruncated means the body ended before the length the client announced; answer 400.
var ErrTruncated = errors.New("request body ended before its announced Content-Length")

// ReadBody reads the whole body, refusing more than limit bytes. It tells a body that is too large
// (ErrTooLarge) from one cut short in transit (ErrTruncated), because the first must not be resent
// as is and the second may.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, r.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%w (%d bytes received)", ErrTruncated, len(b))
	case err != nil:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, limit)
		}
		return nil, fmt.Errorf("reading the request body: %w", err)
	case int64(len(b)) > limit:
		return nil, fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// BodyError answers a ReadBody error with the right status and says what to do.
func BodyError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrTooLarge):
		WriteError(w, http.StatusRequestEntityTooLarge, err.Error()+"; send smaller batches")
	case errors.Is(err, ErrTruncated):
		WriteError(w, http.StatusBadRequest, err.Error()+"; resend the whole body")
	default:
		WriteError(w, http.StatusBadRequest, err.Error())
	}
}
