package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// decode reads the events of a body and every problem with them. An error means the body as a
// whole is unusable; problems are per event, all of them, so that a sender fixes a batch at once.
func decode(body []byte, batch bool, now time.Time) ([]event.Event, []sources.Problem, error) {
	if err := sources.CheckJSON(body); err != nil {
		return nil, nil, err
	}
	isArray := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	var raws []json.RawMessage
	switch {
	case batch && !isArray:
		return nil, nil, fmt.Errorf("a %s body must be a JSON array of events; send one event as %s", ContentTypeBatch, ContentTypeEvent)
	case !batch && isArray:
		return nil, nil, fmt.Errorf("the body is an array: send a batch with Content-Type %s", ContentTypeBatch)
	case batch:
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, nil, fmt.Errorf("the body is not a JSON array of events: %v", err)
		}
	default:
		raws = []json.RawMessage{body}
	}
	events := make([]event.Event, 0, len(raws))
	var problems []sources.Problem
	var read []int // the index in the batch of each event read
	for i, raw := range raws {
		e, err := event.Decode(raw)
		if err != nil {
			problems = append(problems, sources.Problem{Index: i, Field: fieldOf(err), Message: err.Error()})
			continue
		}
		for _, p := range sources.Problems([]event.Event{e}, now) {
			p.Index = i
			problems = append(problems, p)
		}
		events = append(events, e)
		read = append(read, i)
	}
	if len(problems) > 0 {
		// The batch cannot be submitted: check the data here too, against the canonical catalog,
		// so that the answer lists everything to fix. Otherwise the engine checks it, against the
		// workspace's own types too.
		for _, p := range sources.Misfits(events) {
			p.Index = read[p.Index]
			problems = append(problems, p)
		}
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Index < problems[j].Index })
	}
	return events, problems, nil
}

// fieldOf names the member a decoding error is about, when the decoder says.
func fieldOf(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return "time" // the envelope's only timestamp
	}
	return ""
}
