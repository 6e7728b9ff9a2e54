package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
)

// TestOfficialSDK sends events with the official CloudEvents Go SDK's HTTP client, in its default
// binary mode and in structured mode, to the handler served over HTTP.
func TestOfficialSDK(t *testing.T) {
	sink := &recorder{}
	srv := httptest.NewServer(newHandler(t, sink, Config{}))
	defer srv.Close()

	client, err := cloudevents.NewClientHTTP(cloudevents.WithTarget(srv.URL+Path), cehttp.WithHeader("Authorization", "Bearer "+token))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 10, 14, 20, 0, 0, 0, time.UTC)
	modes := map[string]func(context.Context) context.Context{
		"binary":     func(ctx context.Context) context.Context { return ctx }, // the SDK's default
		"structured": cloudevents.WithEncodingStructured,
	}
	for name, mode := range modes {
		e := cloudevents.NewEvent()
		e.SetID("sdk-" + name)
		e.SetSource("shop/sdk")
		e.SetType("order.placed")
		e.SetSubject("José Pérez")
		e.SetTime(at)
		if err := e.SetData(cloudevents.ApplicationJSON, map[string]any{"order_id": "3003", "total": json.Number("12.30"), "currency": "EUR"}); err != nil {
			t.Fatal(err)
		}
		before := sink.count()
		if res := client.Send(mode(context.Background()), e); !cloudevents.IsACK(res) {
			t.Fatalf("%s: the SDK's send was not acknowledged: %v", name, res)
		}
		if sink.count() != before+1 {
			t.Fatalf("%s: %d batches submitted, want one more", name, sink.count()-before)
		}
		got := sink.batches[before][0]
		if got.ID != "sdk-"+name || got.Source != "shop/sdk" || got.Type != "order.placed" || got.Subject != "José Pérez" ||
			!got.Time.Equal(at) || got.SpecVersion != "1.0" || got.DataContentType != "application/json" {
			t.Errorf("%s: stored attributes %+v", name, got)
		}
		if got.Data["order_id"] != "3003" || got.Data["total"] != json.Number("12.30") || got.Data["currency"] != "EUR" {
			t.Errorf("%s: stored data %v", name, got.Data)
		}
	}

	// A refusal reaches the SDK as a NACK carrying the status.
	bad := cloudevents.NewEvent()
	bad.SetID("sdk-bad")
	bad.SetSource("shop/sdk")
	bad.SetType("order.placed")
	bad.SetSubject("c-1")
	bad.SetTime(at)
	_ = bad.SetData(cloudevents.ApplicationJSON, map[string]any{"total": "1.00"})
	res := client.Send(context.Background(), bad)
	var httpRes *cehttp.Result
	if cloudevents.IsACK(res) || !cloudevents.ResultAs(res, &httpRes) || httpRes.StatusCode != 400 {
		t.Errorf("an event without order_id: result %v; want a 400 NACK", res)
	}
}
