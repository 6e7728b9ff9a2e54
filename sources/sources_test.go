package sources

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

func TestVerifyBase64(t *testing.T) {
	body := []byte(`{"id":1}`)
	sig := SignBase64("new", body)
	cases := []struct {
		sig     string
		secrets []string
		want    bool
	}{
		{sig, []string{"new", ""}, true},
		{sig, []string{"other", "new"}, true},
		{" " + sig + " ", []string{"new"}, true},
		{sig, []string{"other"}, false},
		{sig, []string{"", ""}, false},
		{SignBase64("new", []byte(`{"id":2}`)), []string{"new"}, false},
		{"", []string{"new"}, false},
		{"%%%", []string{"new"}, false},
		{sig[:20], []string{"new"}, false},
	}
	for _, c := range cases {
		if got := VerifyBase64(c.sig, body, c.secrets...); got != c.want {
			t.Errorf("VerifyBase64(%q, %v) = %v", c.sig, c.secrets, got)
		}
	}
}

func TestEqualTokens(t *testing.T) {
	if !EqualTokens("abc", "abc") || EqualTokens("abc", "abd") || EqualTokens("abc", "abcd") || EqualTokens("", "x") {
		t.Fatal("EqualTokens is wrong")
	}
}

type cutBody struct{ r io.Reader }

func (c cutBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func TestReadBody(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("12345"))
	if b, err := ReadBody(req, 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q %v", b, err)
	}
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("123456"))
	if _, err := ReadBody(req, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("announced over the limit: %v", err)
	}
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("123456"))
	req.ContentLength = -1
	if _, err := ReadBody(req, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("streamed over the limit: %v", err)
	}
	req = httptest.NewRequest(http.MethodPost, "/", nil)
	req.Body = io.NopCloser(cutBody{strings.NewReader("12")})
	req.ContentLength = 4
	if _, err := ReadBody(req, 5); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut in transit: %v", err)
	}
	req = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("123456"))
	req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 3)
	req.ContentLength = -1
	if _, err := ReadBody(req, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a server-wide limit: %v", err)
	}
}

func TestCheckJSON(t *testing.T) {
	cases := map[string]string{
		`{"a":1}`:         "",
		` [1, 2] `:        "",
		`{"a":`:           "truncated",
		`[{"a":1},`:       "truncated",
		``:                "empty",
		`{"a":1} {"b":2}`: "more than one",
		`{a:1}`:           "not valid JSON",
		`webhook_id=1`:    "not valid JSON",
	}
	for in, want := range cases {
		err := CheckJSON([]byte(in))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", in, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want an error saying %q", in, err, want)
		}
	}
}

func TestNumber(t *testing.T) {
	var v struct {
		A, B, C, D, E, F Number
	}
	in := `{"A": 820982911946154508, "B": "404.95", "C": null, "D": "", "E": 199.0, "F": 0}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.ID() != "820982911946154508" || v.F.ID() != "" || v.C.ID() != "" || v.B.ID() != "" {
		t.Errorf("ids: %q %q %q %q", v.A.ID(), v.F.ID(), v.C.ID(), v.B.ID())
	}
	if a, ok := v.B.Amount(); !ok || a != "404.95" {
		t.Errorf("amount %q %v", a, ok)
	}
	if a, ok := v.E.Amount(); !ok || a != "199.0" {
		t.Errorf("amount %q %v", a, ok)
	}
	if _, ok := v.D.Amount(); ok {
		t.Error(`"" is no amount`)
	}
	var bad struct{ N Number }
	for _, in := range []string{`{"N": "abc"}`, `{"N": true}`, `{"N": [1]}`} {
		if err := json.Unmarshal([]byte(in), &bad); err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	d, _ := Number("-10.00").Decimal()
	if got := Money(d.Abs(), Places("-10.00")); got != "10.00" {
		t.Errorf("Money = %s", got)
	}
	if got := Number("1e2"); func() json.Number { a, _ := got.Amount(); return a }() != "100" {
		t.Error("an exponent is written out")
	}
}

func TestLogCustomer(t *testing.T) {
	if LogCustomer("Ana@example.com") != "(guest)" || LogCustomer("207119551") != "207119551" {
		t.Fatal("LogCustomer")
	}
}

func TestProblemsRefuseNUL(t *testing.T) {
	ok := event.Event{SpecVersion: "1.0", ID: "e1", Source: "shop", Type: "customer.updated", Subject: "c1", Time: time.Now()}
	if ps := Problems([]event.Event{ok}, time.Now()); len(ps) != 0 {
		t.Fatalf("a valid event has problems: %v", ps)
	}
	for _, field := range []string{"id", "source", "subject"} {
		bad := ok
		switch field {
		case "id":
			bad.ID = "e\x001"
		case "source":
			bad.Source = "shop\x00"
		case "subject":
			bad.Subject = "\x00c1"
		}
		ps := Problems([]event.Event{ok, bad}, time.Now())
		if len(ps) != 1 || ps[0].Index != 1 || ps[0].Field != field {
			t.Errorf("a NUL in %s: problems %v; want one, at index 1, field %s", field, ps, field)
		}
	}
}
