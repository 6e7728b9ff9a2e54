package httpapi

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
)

// headerPrefix starts every attribute header of binary content mode, as net/http spells it.
const headerPrefix = "Ce-"

// attributeHeaders maps the envelope's attributes to the headers that carry them in binary mode.
// datacontenttype has no header of its own: it is the request's Content-Type.
var attributeHeaders = map[string]string{
	"specversion": "Ce-Specversion",
	"id":          "Ce-Id",
	"source":      "Ce-Source",
	"type":        "Ce-Type",
	"subject":     "Ce-Subject",
	"time":        "Ce-Time",
}

// isBinary tells a request in binary content mode (attributes in ce-* headers, the data as the
// body) from one in structured mode. The official SDKs send binary mode by default. A request
// whose Content-Type is a CloudEvents format is structured whatever headers it also carries.
func isBinary(h http.Header) bool {
	for name := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), headerPrefix) {
			return true
		}
	}
	return false
}

// errDataType is a binary request whose data is not JSON.
type errDataType struct{ contentType string }

func (e errDataType) Error() string {
	return fmt.Sprintf("binary mode: Content-Type %q is the data's type, and event data must be a JSON object: "+
		"send the data as JSON with Content-Type %s, or the whole event as %s", e.contentType, ContentTypeJSON, ContentTypeEvent)
}

// decodeBinary reads one event from binary content mode. An error means the request as a whole is
// unusable (errDataType for data that is not JSON); problems name the header or data field at fault.
func decodeBinary(h http.Header, body []byte, now time.Time) (event.Event, []sources.Problem, error) {
	contentType := strings.TrimSpace(h.Get("Content-Type"))
	e := event.Event{
		SpecVersion:     headerValue(h, "specversion"),
		ID:              headerValue(h, "id"),
		Source:          headerValue(h, "source"),
		Type:            headerValue(h, "type"),
		Subject:         headerValue(h, "subject"),
		DataContentType: contentType,
	}
	var problems []sources.Problem
	badTime := false
	if v := headerValue(h, "time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			badTime = true
			problems = append(problems, sources.Problem{Field: attributeHeaders["time"],
				Message: fmt.Sprintf("%q is not an RFC 3339 timestamp (for example 2025-10-14T15:00:00-05:00)", v)})
		} else {
			e.Time = t
		}
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if !isJSON(contentType) {
			return e, nil, errDataType{contentType}
		}
		if err := sources.CheckJSON(body); err != nil {
			return e, nil, err
		}
		var data any
		if err := sources.DecodeJSON(body, &data); err != nil {
			return e, nil, err
		}
		switch d := data.(type) {
		case map[string]any:
			e.Data = d
		case nil:
		default:
			problems = append(problems, sources.Problem{Field: "data", Message: "the body must be a JSON object: the event's data"})
		}
	}
	for _, p := range sources.Problems([]event.Event{e}, now) {
		if p.Field == "time" && badTime {
			continue // already said what is wrong with the header
		}
		if hd, ok := attributeHeaders[p.Field]; ok {
			p.Field = hd
			p.Message = strings.Replace(p.Message, "is required", "is required in the header "+hd, 1)
		}
		problems = append(problems, sources.Problem{Field: p.Field, Message: p.Message})
	}
	if len(problems) > 0 {
		// Refused anyway: say what is wrong with the data too (see decode).
		for _, p := range sources.Misfits([]event.Event{e}) {
			problems = append(problems, sources.Problem{Field: p.Field, Message: p.Message})
		}
	}
	return e, problems, nil
}

// headerValue is an attribute's header, percent-decoded as the HTTP binding of CloudEvents asks
// of a receiver. A value that is not valid percent-encoding is taken as sent, because some senders
// do not encode at all and a literal % then is part of the value.
func headerValue(h http.Header, attribute string) string {
	v := strings.TrimSpace(h.Get(attributeHeaders[attribute]))
	if !strings.Contains(v, "%") {
		return v
	}
	if d, err := url.PathUnescape(v); err == nil {
		return d
	}
	return v
}

// isJSON accepts application/json, any type with the +json suffix, and no type at all (the data of
// a CloudEvent without a datacontenttype is JSON).
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == ContentTypeJSON || mt == "text/json" || strings.HasSuffix(mt, "+json")
}
