package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// binaryRequest is one event in binary content mode: attributes as ce-* headers, data as the body.
func binaryRequest(headers map[string]string, contentType, body string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// placedHeaders are the attributes of the order in binary mode.
func placedHeaders() map[string]string {
	return map[string]string{
		"ce-specversion": "1.0",
		"ce-id":          "ord-2002",
		"ce-source":      "shop",
		"ce-type":        "order.placed",
		"ce-subject":     "laura%40example.com",
		"ce-time":        "2025-10-14T15:00:00.250-05:00",
	}
}

const placedData = `{"order_id":"2002","total":19.90,"currency":"PEN","items":[{"sku":"SER-30","quantity":1,"price":"19.90"}]}`

func TestBinaryModeAccepted(t *testing.T) {
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/vnd.shop+json", ""} {
		sink := &recorder{}
		w := serve(newHandler(t, sink, Config{}), binaryRequest(placedHeaders(), ct, placedData))
		if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"accepted":1}` {
			t.Fatalf("Content-Type %q: got %d %s", ct, w.Code, w.Body)
		}
		if sink.count() != 1 || len(sink.batches[0]) != 1 {
			t.Fatalf("Content-Type %q: submitted %v", ct, sink.batches)
		}
		e := sink.batches[0][0]
		wantTime := time.Date(2025, 10, 14, 20, 0, 0, 250e6, time.UTC)
		if e.SpecVersion != "1.0" || e.ID != "ord-2002" || e.Source != "shop" || e.Type != "order.placed" || !e.Time.Equal(wantTime) {
			t.Errorf("Content-Type %q: attributes read as %+v", ct, e)
		}
		// The HTTP binding percent-encodes header values; the subject arrives decoded.
		if e.Subject != "laura@example.com" {
			t.Errorf("Content-Type %q: subject %q, want laura@example.com", ct, e.Subject)
		}
		if e.DataContentType != ct {
			t.Errorf("datacontenttype %q, want the Content-Type %q", e.DataContentType, ct)
		}
		if e.Data["total"] != json.Number("19.90") || e.Data["order_id"] != "2002" {
			t.Errorf("Content-Type %q: data read as %v; want the body with its numbers exact", ct, e.Data)
		}
	}
}

func TestBinaryModeWithoutData(t *testing.T) {
	sink := &recorder{}
	h := placedHeaders()
	h["ce-type"] = "customer.updated"
	w := serve(newHandler(t, sink, Config{}), binaryRequest(h, "", ""))
	if w.Code != http.StatusAccepted || sink.count() != 1 || sink.batches[0][0].Data != nil {
		t.Fatalf("an event without data: got %d %s, %v", w.Code, w.Body, sink.batches)
	}
}

func TestBinaryModeProblemsNameTheHeaders(t *testing.T) {
	sink := &recorder{}
	hd := map[string]string{"ce-type": "order.placed", "ce-time": "yesterday"}
	w := serve(newHandler(t, sink, Config{}), binaryRequest(hd, "application/json", `{"total":"lots","currency":"PEN"}`))
	if w.Code != http.StatusBadRequest {
		t.Fatalf("got %d %s, want 400", w.Code, w.Body)
	}
	b := answer(t, w)
	got := map[string]string{}
	for _, p := range b.Problems {
		got[p.Field] = p.Message
	}
	for _, f := range []string{"Ce-Specversion", "Ce-Id", "Ce-Source", "Ce-Subject", "Ce-Time", "data.order_id", "data.total"} {
		if _, ok := got[f]; !ok {
			t.Errorf("no problem reported for %s; got %+v", f, b.Problems)
		}
	}
	if len(b.Problems) != 7 {
		t.Errorf("want 7 problems (one a field), got %+v", b.Problems)
	}
	if !strings.Contains(got["Ce-Id"], "header Ce-Id") || !strings.Contains(got["Ce-Time"], "yesterday") {
		t.Errorf("messages should name the header and the value: %+v", got)
	}
	if sink.count() != 0 {
		t.Fatal("an invalid event reached the sink")
	}
}

func TestBinaryModeRefusesDataThatIsNotAJSONObject(t *testing.T) {
	sink := &recorder{}
	h := newHandler(t, sink, Config{})
	cases := []struct {
		ct, body string
		status   int
		says     string
	}{
		{"text/plain", "hello", http.StatusUnsupportedMediaType, "JSON object"},
		{"application/xml", "<order/>", http.StatusUnsupportedMediaType, "application/json"},
		{"application/json", "[1,2]", http.StatusBadRequest, "JSON object"},
		{"application/json", `{"order_id":`, http.StatusBadRequest, "truncated"},
		{"application/json", `{"a":1}{"b":2}`, http.StatusBadRequest, "more than one"},
	}
	for _, c := range cases {
		w := serve(h, binaryRequest(placedHeaders(), c.ct, c.body))
		b := answer(t, w)
		text := b.Error
		for _, p := range b.Problems {
			text += " " + p.Message
		}
		if w.Code != c.status || !strings.Contains(text, c.says) {
			t.Errorf("%s %q: got %d %s, want %d saying %q", c.ct, c.body, w.Code, w.Body, c.status, c.says)
		}
	}
	if sink.count() != 0 {
		t.Fatal("a refused request reached the sink")
	}
}

func TestStructuredContentTypeWinsOverHeaders(t *testing.T) {
	sink := &recorder{}
	hd := placedHeaders()
	hd["ce-id"] = "from-the-header"
	w := serve(newHandler(t, sink, Config{}), binaryRequest(hd, ContentTypeEvent, placed))
	if w.Code != http.StatusAccepted || sink.count() != 1 || sink.batches[0][0].ID != "ord-1001" {
		t.Fatalf("a structured event with stray ce-* headers: got %d %s %v; want the body's event", w.Code, w.Body, sink.batches)
	}
}

func TestHeaderValueDecoding(t *testing.T) {
	for raw, want := range map[string]string{
		"laura%40example.com": "laura@example.com",
		"Jos%C3%A9":           "José",
		"100%":                "100%", // not an encoding: taken as sent
		"plain":               "plain",
		" padded ":            "padded",
	} {
		h := http.Header{}
		h.Set("Ce-Subject", raw)
		if got := headerValue(h, "subject"); got != want {
			t.Errorf("ce-subject %q read as %q, want %q", raw, got, want)
		}
	}
}

func TestBinaryModeChecksTheTimeAgainstTheClock(t *testing.T) {
	sink := &recorder{}
	now := time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)
	h := newHandler(t, sink, Config{Now: func() time.Time { return now }})
	hd := placedHeaders()
	hd["ce-time"] = now.Add(time.Hour).Format(time.RFC3339)
	w := serve(h, binaryRequest(hd, "application/json", placedData))
	b := answer(t, w)
	if w.Code != http.StatusBadRequest || len(b.Problems) != 1 || b.Problems[0].Field != "Ce-Time" {
		t.Fatalf("an event an hour ahead: got %d %+v; want 400 naming Ce-Time", w.Code, b)
	}
	if sink.count() != 0 {
		t.Fatal("a refused event reached the sink")
	}
}
