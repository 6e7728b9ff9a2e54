package sources

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/afterglowhq/afterglow/event"
)

// Problems validates every event and locates each problem by the event's index.
func Problems(events []event.Event) []Problem {
	var ps []Problem
	for i := range events {
		for _, p := range events[i].Validate() {
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
			log.Warn().Err(err).Int("events", len(events)).Msg("could not store events; the sender was asked to retry")
			w.Header().Set("Retry-After", "5")
			WriteError(w, http.StatusServiceUnavailable, "the events could not be stored and none was accepted: retry later")
			return
		}
	}
	WriteJSON(w, okStatus, Accepted{Accepted: len(events)})
}
