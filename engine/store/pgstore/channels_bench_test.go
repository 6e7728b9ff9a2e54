package pgstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/loadtest"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// The channel benchmarks measure the outbox on this store: messages rendered and written with
// every policy on, and messages dispatched to a local webhook sink.
//
//	go test ./engine/store/pgstore -run '^$' -bench 'RenderWrite|Dispatch' -benchtime 10x

// policyWorkspace has one marketing flow that renders a Liquid email with a loop over the
// order's items and an SMS, under consent, a monthly limit and quiet hours: every message written
// passes all three policies.
var policyWorkspace = map[string]string{
	"afterglow.yaml": `
flows: [flows]
templates: [templates]
timezone: America/Lima
secret: bench
channels:
  email: {connector: console, shape: email}
  sms: {connector: console, shape: sms}
policies:
  frequency:
    - {max: 4, per: 30d, categories: [marketing]}
  quiet_hours: {from: "21:00", to: "09:00", channels: [sms]}
  over_limit: defer
`,
	"flows/order-offer.yaml": `
flow: order-offer
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - {id: offer, send: {channel: email, template: offer, category: marketing}}
  - {id: nudge, send: {channel: sms, template: nudge, category: marketing}}
`,
	"templates/offer.yaml": `
template: offer
channel: email
default_locale: es
locales:
  es:
    subject: "{{ customer.first_name }}, tu pedido {{ trigger.data.order_id }} trae un regalo"
    text: |
      Hola {{ customer.first_name | default: "amiga" }}:
      {% for item in trigger.data.items %}- {{ item.quantity }} x {{ item.sku }} a {{ item.price | money: trigger.data.currency }}
      {% endfor %}Total: {{ trigger.data.total | money: trigger.data.currency }}
      Darte de baja: {{ unsubscribe_url }}
  en:
    subject: "{{ customer.first_name }}, order {{ trigger.data.order_id }} comes with a gift"
    text: |
      Hi {{ customer.first_name | default: "there" }}:
      {% for item in trigger.data.items %}- {{ item.quantity }} x {{ item.sku }} at {{ item.price | money: trigger.data.currency }}
      {% endfor %}Total: {{ trigger.data.total | money: trigger.data.currency }}
      Unsubscribe: {{ unsubscribe_url }}
`,
	"templates/nudge.yaml": `
template: nudge
channel: sms
default_locale: es
locales:
  es: {text: "{{ customer.first_name }}: tu regalo te espera, pedido {{ trigger.data.order_id }}"}
  en: {text: "{{ customer.first_name }}: your gift is waiting, order {{ trigger.data.order_id }}"}
`,
}

// BenchmarkRenderWrite registers b.N*1,000 customers with consent (half of them in Rome, where
// it is night, so their SMS is held for quiet hours) and then measures their orders alone: each
// order renders an email and an SMS and writes both after the policies, 2,000 messages per batch.
func BenchmarkRenderWrite(b *testing.B) {
	ws := loadWorkspace(b, policyWorkspace)
	st := newStore(b)
	clk := clock.NewVirtual(benchT0) // 15:00 UTC: afternoon in Lima, night in Rome
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: zerolog.Nop(),
		Unsubscribe: func(customerID, channel, messageID string) string {
			return "https://shop.example/u/" + customerID + "." + channel + "." + messageID
		}})
	ctx := context.Background()
	if err := eng.SaveVersions(ctx, eng.Flows()); err != nil {
		b.Fatal(err)
	}
	n := b.N * benchBatch
	regs, ords := make([]event.Event, n), make([]event.Event, n)
	for i := range n {
		cust := fmt.Sprintf("r%07d", i)
		locale, tz := "es", "America/Lima"
		if i%2 == 1 {
			locale, tz = "en", "Europe/Rome"
		}
		regs[i] = event.Event{SpecVersion: "1.0", ID: "reg-" + cust, Source: "bench", Type: event.CustomerCreated, Subject: cust, Time: benchT0,
			Data: map[string]any{"email": cust + "@example.com", "phone": "+51999000000", "first_name": "Ana", "locale": locale, "timezone": tz,
				"consent": map[string]any{"email": true, "sms": true}}}
		ords[i] = event.Event{SpecVersion: "1.0", ID: "ord-" + cust, Source: "bench", Type: event.OrderPlaced, Subject: cust, Time: benchT0,
			Data: map[string]any{"order_id": "o-" + cust, "total": json.Number("119.80"), "currency": "PEN", "items": []any{
				map[string]any{"sku": "SER-VITC-30", "quantity": json.Number("1"), "price": json.Number("59.90")},
				map[string]any{"sku": "SPF-50-50", "quantity": json.Number("1"), "price": json.Number("59.90")}}}}
	}
	for k := 0; k < n; k += benchBatch {
		if _, err := eng.Ingest(ctx, regs[k:k+benchBatch]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	began := time.Now()
	for k := 0; k < n; k += benchBatch {
		if _, err := eng.Ingest(ctx, ords[k:k+benchBatch]); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(began)
	b.StopTimer()
	stats, err := st.Stats(ctx, clk.Now())
	if err != nil {
		b.Fatal(err)
	}
	written := 0
	for _, c := range stats.Messages {
		written += int(c)
	}
	if written != 2*n {
		b.Fatalf("%d messages written, want %d: %v", written, 2*n, stats.Messages)
	}
	b.ReportMetric(float64(written)/elapsed.Seconds(), "messages/s")
}

// BenchmarkDispatch writes b.N*1,000 due webhook messages and measures dispatchers delivering
// them to a local HTTP sink that answers 200 at once, as a fast CRM would: lease, POST with its
// signature and Idempotency-Key, record the attempt. afterglow bench dispatch runs the same code.
func BenchmarkDispatch(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run("dispatchers="+strconv.Itoa(workers), func(b *testing.B) {
			sink := loadtest.NewSink()
			defer sink.Close()
			st := newStore(b)
			ctx := context.Background()
			n := b.N * benchBatch
			if err := loadtest.WriteDueWebhooks(ctx, st, n); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			began := time.Now()
			if err := loadtest.Dispatch(ctx, st, sink.URL, workers); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(began)
			b.StopTimer()
			if got := sink.Received.Load(); got != int64(n) {
				b.Fatalf("sink received %d messages, want %d", got, n)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "messages/s")
		})
	}
}
