package pgstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/message"
)

// The JSON columns' documents, written and read by hand with appendJSON and parseJSON. Their keys
// are those of the types' json tags, so the documents read the same to anyone querying them.

// objWriter writes one JSON object; the first error sticks.
type objWriter struct {
	b     []byte
	first bool
	err   error
}

func newObj(b []byte) *objWriter { return &objWriter{b: append(b, '{'), first: true} }

func (w *objWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *objWriter) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

// strOmit writes a string field tagged omitempty.
func (w *objWriter) strOmit(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *objWriter) val(k string, v any) {
	w.key(k)
	if w.err == nil {
		w.b, w.err = appendJSON(w.b, v)
	}
}

func (w *objWriter) time(k string, t time.Time) {
	w.key(k)
	if w.err == nil {
		w.b, w.err = appendTime(w.b, t)
	}
}

func (w *objWriter) end() ([]byte, error) { return append(w.b, '}'), w.err }

// appendEvent writes an event as a journey keeps it: data is written even when empty or nil, so
// that an empty map and a missing one stay apart.
func appendEvent(b []byte, ev *event.Event) ([]byte, error) {
	w := newObj(b)
	w.str("specversion", ev.SpecVersion)
	w.str("id", ev.ID)
	w.str("source", ev.Source)
	w.str("type", ev.Type)
	w.str("subject", ev.Subject)
	w.time("time", ev.Time)
	w.strOmit("datacontenttype", ev.DataContentType)
	w.val("data", ev.Data)
	return w.end()
}

func encodeTrigger(ev event.Event) (string, error) {
	b, err := appendEvent(nil, &ev)
	return string(b), err
}

// getters read a decoded object's fields, tolerating what is missing.

func getStr(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func getInt(m map[string]any, k string) int {
	n, _ := m[k].(json.Number)
	i, _ := strconv.Atoi(string(n))
	return i
}

func getBool(m map[string]any, k string) bool {
	v, _ := m[k].(bool)
	return v
}

func getTime(m map[string]any, k string) (time.Time, error) {
	s, ok := m[k].(string)
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("%s: %w", k, err)
	}
	return t, nil
}

func eventFrom(m map[string]any) (event.Event, error) {
	ev := event.Event{
		SpecVersion: getStr(m, "specversion"), ID: getStr(m, "id"), Source: getStr(m, "source"), Type: getStr(m, "type"),
		Subject: getStr(m, "subject"), DataContentType: getStr(m, "datacontenttype"),
	}
	ev.Data, _ = m["data"].(map[string]any)
	var err error
	ev.Time, err = getTime(m, "time")
	return ev, err
}

func decodeTrigger(b []byte) (event.Event, error) {
	m, err := parseObject(b)
	if err != nil {
		return event.Event{}, err
	}
	return eventFrom(m)
}

// Outputs: {"step": {"event": {...}, "timed_out": true, "variant": "b"}}, fields left out when
// empty as StepOutput's tags say.
func encodeOutputs(out map[string]store.StepOutput) (string, error) {
	b := []byte{'{'}
	first := true
	for k, o := range out {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
		w := newObj(b)
		if o.Event != nil {
			w.key("event")
			if w.err == nil {
				w.b, w.err = appendEvent(w.b, o.Event)
			}
		}
		if o.TimedOut {
			w.key("timed_out")
			w.b = append(w.b, "true"...)
		}
		w.strOmit("variant", o.Variant)
		var err error
		if b, err = w.end(); err != nil {
			return "", fmt.Errorf("output of step %s: %w", k, err)
		}
	}
	return string(append(b, '}')), nil
}

func decodeOutputs(b []byte) (map[string]store.StepOutput, error) {
	m, err := parseObject(b)
	if err != nil || m == nil {
		return nil, err
	}
	out := make(map[string]store.StepOutput, len(m))
	for k, v := range m {
		o, _ := v.(map[string]any)
		so := store.StepOutput{TimedOut: getBool(o, "timed_out"), Variant: getStr(o, "variant")}
		if em, ok := o["event"].(map[string]any); ok {
			ev, err := eventFrom(em)
			if err != nil {
				return nil, fmt.Errorf("output of step %s: %w", k, err)
			}
			so.Event = &ev
		}
		out[k] = so
	}
	return out, nil
}

func encodeSends(ss []store.SendMark) (string, error) {
	b := []byte{'['}
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		w := newObj(b)
		w.time("at", s.At)
		w.str("ch", s.Channel)
		w.str("cat", s.Category)
		if s.Priority != 0 {
			w.val("pr", json.Number(strconv.Itoa(s.Priority)))
		}
		var err error
		if b, err = w.end(); err != nil {
			return "", err
		}
	}
	return string(append(b, ']')), nil
}

func decodeSends(b []byte) ([]store.SendMark, error) {
	return decodeObjects(b, func(m map[string]any) (store.SendMark, error) {
		at, err := getTime(m, "at")
		if err != nil {
			return store.SendMark{}, err
		}
		return store.SendMark{At: at.UTC(), Channel: getStr(m, "ch"), Category: getStr(m, "cat"), Priority: getInt(m, "pr")}, nil
	})
}

// decodeObjects decodes a JSON array of objects, one element at a time; NULL and [] are nil.
func decodeObjects[T any](b []byte, decode func(map[string]any) (T, error)) ([]T, error) {
	if b == nil {
		return nil, nil
	}
	v, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	a, _ := v.([]any)
	if len(a) == 0 {
		return nil, nil
	}
	out := make([]T, len(a))
	for i, e := range a {
		m, _ := e.(map[string]any)
		if out[i], err = decode(m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Consent: {"email": {"granted": true, "at": "...", "event": "...", "type": "consent.updated"}};
// granted is null when the customer was never asked.
func encodeConsent(m map[string]store.Consent) (string, error) {
	b := []byte{'{'}
	first := true
	for ch, c := range m {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, ch)
		b = append(b, ':')
		w := newObj(b)
		w.val("granted", c.Value())
		w.time("at", c.At.UTC().Truncate(time.Microsecond)) // as a timestamptz column keeps it
		w.str("event", c.EventID)
		w.str("type", c.EventType)
		var err error
		if b, err = w.end(); err != nil {
			return "", fmt.Errorf("%s: %w", ch, err)
		}
	}
	return string(append(b, '}')), nil
}

func decodeConsent(b []byte) (map[string]store.Consent, error) {
	m, err := parseObject(b)
	if err != nil || len(m) == 0 {
		return nil, err
	}
	out := make(map[string]store.Consent, len(m))
	for ch, v := range m {
		o, _ := v.(map[string]any)
		at, err := getTime(o, "at")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ch, err)
		}
		c := store.Consent{At: at.UTC(), EventID: getStr(o, "event"), EventType: getStr(o, "type")}
		if g, ok := o["granted"].(bool); ok {
			c.Granted = &g
		}
		out[ch] = c
	}
	return out, nil
}

func encodeDates(d map[string]time.Time) (string, error) {
	w := newObj(nil)
	for k, t := range d {
		w.time(k, t)
	}
	b, err := w.end()
	return string(b), err
}

func decodeDates(b []byte) (map[string]time.Time, error) {
	m, err := parseObject(b)
	if err != nil || m == nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(m))
	for k := range m {
		t, err := getTime(m, k)
		if err != nil {
			return nil, err
		}
		out[k] = t.UTC()
	}
	return out, nil
}

func encodeRecipient(r message.Recipient) (string, error) {
	w := newObj(nil)
	w.str("customer_id", r.CustomerID)
	w.strOmit("email", r.Email)
	w.strOmit("phone", r.Phone)
	w.strOmit("push_token", r.PushToken)
	w.strOmit("name", r.Name)
	b, err := w.end()
	return string(b), err
}

func decodeRecipient(b []byte) (message.Recipient, error) {
	m, err := parseObject(b)
	return message.Recipient{CustomerID: getStr(m, "customer_id"), Email: getStr(m, "email"), Phone: getStr(m, "phone"),
		PushToken: getStr(m, "push_token"), Name: getStr(m, "name")}, err
}

func encodeContent(c message.Content) (string, error) {
	w := newObj(nil)
	w.strOmit("subject", c.Subject)
	w.strOmit("text", c.Text)
	w.strOmit("html", c.HTML)
	w.strOmit("title", c.Title)
	w.strOmit("body", c.Body)
	w.strOmit("url", c.URL)
	w.strOmit("template_name", c.TemplateName)
	w.strOmit("language", c.Language)
	if len(c.Params) > 0 {
		w.val("params", c.Params)
	}
	if len(c.Payload) > 0 {
		w.val("payload", c.Payload)
	}
	b, err := w.end()
	return string(b), err
}

func decodeContent(b []byte) (message.Content, error) {
	m, err := parseObject(b)
	if err != nil {
		return message.Content{}, err
	}
	c := message.Content{Subject: getStr(m, "subject"), Text: getStr(m, "text"), HTML: getStr(m, "html"), Title: getStr(m, "title"),
		Body: getStr(m, "body"), URL: getStr(m, "url"), TemplateName: getStr(m, "template_name"), Language: getStr(m, "language")}
	if ps, ok := m["params"].([]any); ok && len(ps) > 0 {
		c.Params = make([]string, len(ps))
		for i, p := range ps {
			c.Params[i], _ = p.(string)
		}
	}
	if p, ok := m["payload"].(map[string]any); ok && len(p) > 0 {
		c.Payload = p
	}
	return c, nil
}
