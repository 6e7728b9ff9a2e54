package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestDecodeKeepsNumbersExact(t *testing.T) {
	e, err := Decode([]byte(`{"specversion":"1.0","id":"1","source":"s","type":"order.placed","subject":"c1",
		"time":"2025-10-14T15:00:00-05:00","data":{"order_id":"820982911946154508","total":404.95,"currency":"USD","big":820982911946154508}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Data["big"].(json.Number).String(); got != "820982911946154508" {
		t.Fatalf("big id lost precision: %s", got)
	}
	d, err := Decimal(e.Data["total"])
	if err != nil || d.String() != "404.95" {
		t.Fatalf("total = %v, %v", d, err)
	}
	if ps := e.Validate(); len(ps) != 0 {
		t.Fatalf("valid event reported problems: %v", ps)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	e, err := Decode([]byte(`{"specversion":"0.3","type":"Order Placed","data":{"total":12.5}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range e.Validate() {
		got[p.Field] = true
	}
	for _, f := range []string{"specversion", "id", "source", "type", "subject", "time"} {
		if !got[f] {
			t.Errorf("no problem reported for %s; got %v", f, got)
		}
	}
}

func TestDecodeRejectsTruncatedAndTrailing(t *testing.T) {
	for _, in := range []string{`{"id":"1"`, `{"id":"1"} {"id":"2"}`, `[1]`} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q) accepted bad input", in)
		}
	}
	if _, err := DecodeBatch([]byte(`[{"id":"1"}, {"id":`)); err == nil || !strings.Contains(err.Error(), "array") {
		t.Errorf("truncated batch: %v", err)
	}
}

func TestDecimalRefusesFloats(t *testing.T) {
	if _, err := Decimal(0.1); err == nil {
		t.Fatal("a float64 must be refused")
	}
	d, err := Decimal("0.10")
	if err != nil || !d.Equal(mustDec(t, "0.1")) {
		t.Fatalf("got %v %v", d, err)
	}
}

func mustDec(t *testing.T, s string) decimal.Decimal {
	d, err := Decimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReadNDJSON(t *testing.T) {
	good := `{"specversion":"1.0","id":"1","source":"s","type":"customer.created","subject":"a","time":"2025-01-01T00:00:00Z"}

# a comment
{"specversion":"1.0","id":"2","source":"s","type":"customer.created","subject":"b","time":"2025-01-01T00:00:00Z"}
`
	var ids []string
	if err := ReadNDJSON(strings.NewReader(good), func(_ int, e Event) error { ids = append(ids, e.ID); return nil }); err != nil || len(ids) != 2 {
		t.Fatalf("ids=%v err=%v", ids, err)
	}
	bad := good + `{"specversion":"1.0","id":"3","source":"s","type":"order.placed","subject":"","time":"2025-01-01T00:00:00Z","data":{}}` + "\n"
	err := ReadNDJSON(strings.NewReader(bad), func(int, Event) error { return nil })
	le, ok := err.(*LineError)
	if !ok || le.Line != 5 || !strings.Contains(le.Problem, "subject") {
		t.Fatalf("got %v", err)
	}
	if err := ReadNDJSON(strings.NewReader(`{"id":`), func(int, Event) error { return nil }); err == nil {
		t.Fatal("a truncated line must fail")
	}
}

func TestValidateRefusesNUL(t *testing.T) {
	e := Event{SpecVersion: "1.0", ID: "a\x00b", Source: "s", Type: "customer.created", Subject: "c\xff", Time: time.Unix(1, 0)}
	got := map[string]bool{}
	for _, p := range e.Validate() {
		got[p.Field] = true
	}
	if !got["id"] || !got["subject"] || got["source"] {
		t.Fatalf("problems on %v", got)
	}
}
