package sources

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
)

// Outcome is what a platform notice converts into: events, or the reason it makes none.
type Outcome struct {
	Events []event.Event
	// Subject is the customer concerned, for the log.
	Subject string
	// Skip, when set, says why the notice is acknowledged without events.
	Skip string
	// Warn marks a skip that hides a configuration problem rather than an ordinary case.
	Warn bool
}

// Refusal is a notice that cannot be converted, with the status that tells the platform whether
// retrying can help.
type Refusal struct {
	Status  int
	Message string // for the sender: what is wrong and what to do
	Cause   error  // for the log only: internals the sender must not see
}

func (r *Refusal) Error() string { return r.Message }

func (r *Refusal) Unwrap() error { return r.Cause }

// Unprocessable refuses a well-formed notice that lacks what its events need (422: a retry of the
// same notice cannot help).
func Unprocessable(format string, a ...any) error {
	return &Refusal{Status: http.StatusUnprocessableEntity, Message: fmt.Sprintf(format, a...)}
}

// Unavailable refuses a notice for now because of cause (503: the platform retries later).
func Unavailable(cause error, format string, a ...any) error {
	return &Refusal{Status: http.StatusServiceUnavailable, Message: fmt.Sprintf(format, a...), Cause: cause}
}

// AnswerNotice finishes a platform webhook once its notice is converted: it answers a refusal, a
// skip, or events that fail validation at now (the engine's clock), and otherwise submits the
// events and answers 200. log carries the delivery's topic and shop.
func AnswerNotice(w http.ResponseWriter, r *http.Request, sink Sink, log zerolog.Logger, now time.Time, out Outcome, err error) {
	if err != nil {
		var rf *Refusal
		if !errors.As(err, &rf) {
			rf = &Refusal{Status: http.StatusUnprocessableEntity, Message: err.Error()}
		}
		log.Warn().Err(rf.Cause).Int("status", rf.Status).Msg("refused a delivery: " + rf.Message)
		if rf.Status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		WriteError(w, rf.Status, rf.Message)
		return
	}
	if out.Skip != "" {
		l := log.Info()
		if out.Warn {
			l = log.Warn()
		}
		l.Str("customer", LogCustomer(out.Subject)).Msg("nothing to store: " + out.Skip)
		WriteJSON(w, http.StatusOK, Accepted{})
		return
	}
	if ps := Refusals(out.Events, now); len(ps) > 0 {
		log.Warn().Int("problems", len(ps)).Msg("refused a delivery whose events carry values no store can keep")
		WriteProblems(w, http.StatusBadRequest, "the notice's events carry a value too long to store or a time they cannot have; nothing was stored", ps)
		return
	}
	if ps := Problems(out.Events, now); len(ps) > 0 {
		log.Warn().Int("problems", len(ps)).Msg("refused a delivery that makes invalid events")
		WriteProblems(w, http.StatusUnprocessableEntity, "the notice lacks what its canonical events need; nothing was stored", ps)
		return
	}
	if ps := Misfits(out.Events); len(ps) > 0 {
		// The conversion made events that do not fit the event catalog: a bug of the source.
		log.Error().Int("problems", len(ps)).Str("first", ps[0].Field+": "+ps[0].Message).Msg("refused a delivery converted into events that do not fit the event catalog")
		WriteProblems(w, http.StatusUnprocessableEntity, "the notice was converted into events that do not fit the event catalog; nothing was stored", ps)
		return
	}
	log.Debug().Str("customer", LogCustomer(out.Subject)).Int("events", len(out.Events)).Msg("delivery converted")
	SubmitAndAnswer(w, r, sink, out.Events, http.StatusOK, log)
}
