package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/afterglowhq/afterglow/event"
)

// Synthetic describes a made-up shop's traffic, for measuring the engine at a size no sample file has.
type Synthetic struct {
	Customers int
	Events    int
	Days      int
	Start     time.Time
	Seed      uint64
}

var (
	synthLocales = []string{"es", "es-PE", "it", "en"}
	synthZones   = []string{"America/Lima", "Europe/Rome", "America/New_York"}
	synthItems   = []struct {
		sku, id, name, price string
	}{
		{"SER-VITC-30", "p-serum", "Sérum Vitamina C 30 ml", "89.90"},
		{"SPF-50-50", "p-spf", "Protector solar SPF 50", "64.90"},
		{"HID-ACID-50", "p-hyal", "Hidratante ácido hialurónico", "74.90"},
		{"LIMP-GEL-150", "p-gel", "Gel limpiador suave", "39.90"},
	}
)

// Generate makes the events: each customer registers, then orders come with their fulfilment,
// delivery and sometimes a review, until the event budget is spent. The same seed gives the same
// events.
func (s Synthetic) Generate() []event.Event {
	r := rand.New(rand.NewPCG(s.Seed, s.Seed^0x9e3779b97f4a7c15))
	span := time.Duration(s.Days) * 24 * time.Hour
	var evs []event.Event
	n := 0
	id := func() string { n++; return fmt.Sprintf("syn-%d", n) }
	add := func(t time.Time, typ, cust string, data map[string]any) {
		evs = append(evs, event.Event{SpecVersion: "1.0", ID: id(), Source: "synthetic", Type: typ, Subject: cust, Time: t, Data: data})
	}
	regs := make([]time.Time, s.Customers)
	for c := 0; c < s.Customers && len(evs) < s.Events; c++ {
		cust := fmt.Sprintf("cust-%06d", c)
		at := s.Start.Add(time.Duration(r.Int64N(int64(span / 3))))
		regs[c] = at
		consent := map[string]any{"email": r.IntN(10) < 8, "sms": r.IntN(10) < 4, "push": r.IntN(10) < 3, "whatsapp": r.IntN(10) < 4}
		add(at, event.CustomerCreated, cust, map[string]any{
			"email": cust + "@example.com", "first_name": "Cliente", "last_name": fmt.Sprint(c), "phone": fmt.Sprintf("+5199%07d", c),
			"locale": synthLocales[r.IntN(len(synthLocales))], "timezone": synthZones[r.IntN(len(synthZones))],
			"birthday": fmt.Sprintf("19%02d-%02d-%02d", 60+r.IntN(40), 1+r.IntN(12), 1+r.IntN(28)), "consent": consent,
		})
	}
	order := 0
	for len(evs) < s.Events {
		c := r.IntN(s.Customers)
		cust := fmt.Sprintf("cust-%06d", c)
		at := regs[c].Add(time.Duration(r.Int64N(int64(span))))
		if at.After(s.Start.Add(span)) {
			at = s.Start.Add(span - time.Hour)
		}
		order++
		oid := fmt.Sprint(100000 + order)
		it := synthItems[r.IntN(len(synthItems))]
		q := 1 + r.IntN(2)
		add(at, event.OrderPlaced, cust, map[string]any{"order_id": oid, "total": json.Number(it.price), "currency": "PEN",
			"items": []any{map[string]any{"sku": it.sku, "product_id": it.id, "name": it.name, "quantity": q, "price": json.Number(it.price)}}})
		ship := at.Add(time.Duration(12+r.IntN(48)) * time.Hour)
		add(ship, event.OrderFulfilled, cust, map[string]any{"order_id": oid, "tracking_number": "TRK" + oid, "carrier": "Olva"})
		add(ship.Add(time.Duration(24+r.IntN(96))*time.Hour), event.OrderDelivered, cust, map[string]any{"order_id": oid})
		if r.IntN(4) == 0 {
			add(ship.Add(time.Duration(5*24+r.IntN(96))*time.Hour), event.ReviewSubmitted, cust, map[string]any{"order_id": oid, "score": 3 + r.IntN(3)})
		}
	}
	evs = evs[:min(len(evs), s.Events)]
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	return evs
}
