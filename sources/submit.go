package sources

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/event/catalog"
)

// Problems validates every event, and its time against now (the engine's clock), and locates each
// problem by the event's index.
func Problems(events []event.Event, now time.Time) []Problem {
	var ps []Problem
	for i := range events {
		for _, p := range append(events[i].Validate(), events[i].CheckTime(now)...) {
			ps = append(ps, Problem{Index: i, Field: p.Field, Message: p.Message})
		}
	}
	return ps
}

// Misfits checks the data of every event against the canonical event catalog and locates each
// problem by the event's index. The engine checks every event it is given against the workspace's
// catalog; a source uses Misfits to report everything at once when a request cannot be submitted
// anyway, and to refuse a conversion of its own that does not fit.
func Misfits(events []event.Event) []Problem {
	var ps []Problem
	for i := range events {
		for _, p := range catalog.Canonical().CheckData(&events[i]) {
			ps = append(ps, Problem{Index: i, Field: p.Field, Message: p.Message})
		}
	}
	return ps
}

// Refusals are the problems no sender can fix by retrying and no conversion can excuse: a value
// too long to store, a time the event cannot have at now. Each is located by the event's index.
func Refusals(events []event.Event, now time.Time) []Problem {
	var ps []Problem
	for i := range events {
		for _, p := range events[i].Admissible(now) {
			ps = append(ps, Problem{Index: i, Field: p.Field, Message: p.Message})
		}
	}
	return ps
}

// SubmitAndAnswer hands the events to the sink and answers okStatus with their count only once the
// sink has committed them; when it could not, it answers 503 so that the sender retries. No events
// is a success with nothing to store.
func SubmitAndAnswer(w http.ResponseWriter, r *http.Request, sink Sink, events []event.Event, okStatus int, log zerolog.Logger) {
	if len(events) > 0 {
		if err := sink.Submit(r.Context(), events); err != nil {
			var refused *event.Refused
			if errors.As(err, &refused) {
				ps := make([]Problem, len(refused.Problems))
				for i, p := range refused.Problems {
					ps[i] = Problem{Index: p.Index, Field: p.Field, Message: p.Message}
				}
				log.Info().Int("events", len(events)).Int("problems", len(ps)).Msg("the engine refused events no retry can store")
				WriteProblems(w, http.StatusBadRequest, fmt.Sprintf("%d problem(s) found; nothing was accepted: fix them and resend the whole request", len(ps)), ps)
				return
			}
			log.Warn().Err(err).Int("events", len(events)).Msg("could not store events; the sender was asked to retry")
			w.Header().Set("Retry-After", "5")
			WriteError(w, http.StatusServiceUnavailable, "the events could not be stored and none was accepted: retry later")
			return
		}
	}
	WriteJSON(w, okStatus, Accepted{Accepted: len(events)})
}
