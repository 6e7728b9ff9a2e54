package insighttest

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/shopspring/decimal"
)

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func order(customer, id, placed, currency, total string) *store.Order {
	o := &store.Order{CustomerID: customer, OrderID: id, Currency: currency, Total: dec(total)}
	if placed != "" {
		o.PlacedAt = at(placed)
	}
	return o
}

func journey(customer, id, flow, version, entered string, holdout bool, converted string) *store.Journey {
	j := &store.Journey{ID: id, CustomerID: customer, FlowID: flow, FlowVersion: version, Status: store.Completed,
		EnteredAt: at(entered), EndedAt: at(entered), Holdout: holdout}
	if converted != "" {
		j.ConvertedAt = at(converted)
	}
	return j
}

func message(customer, id, flow, channel, status, reason, created string) *store.Message {
	return &store.Message{ID: id, CustomerID: customer, JourneyID: "j", FlowID: flow, Channel: channel, Status: status,
		Reason: reason, SendAt: at(created), CreatedAt: at(created)}
}

func survey(customer, id, when string, score any) store.StoredEvent {
	data := map[string]any{"comment": "x"}
	if score != nil {
		data["score"] = score
	}
	return store.StoredEvent{Event: event.Event{SpecVersion: "1.0", ID: id, Source: "test", Type: event.SurveyAnswered,
		Subject: customer, Time: at(when), Data: data}}
}

// quarter is January to March 2025 in Lima (UTC−5): a customer from before (ana), new ones
// (bob, cid), a cancelled order, a refund, an order in dollars, moments on the edges of months as
// Lima sees them, three flows (with and without a goal and a holdout), and survey answers, good
// and bad.
func quarter() (*History, insight.Query) {
	lima, _ := time.LoadLocation("America/Lima")
	q := insight.Query{From: insight.Month{Year: 2025, Month: 1}, To: insight.Month{Year: 2025, Month: 3}, Location: lima,
		Currency: "PEN", Window: insight.DefaultWindow}
	refunded := order("ana", "a1", "2025-01-05T15:00:00Z", "PEN", "50.00")
	refunded.Refunded = dec("20")
	cancelled := order("bob", "b3", "2025-02-10T15:00:00Z", "PEN", "70")
	cancelled.CancelledAt = at("2025-02-11T15:00:00Z")
	refundOnly := order("dan", "d0", "", "", "0")
	refundOnly.Refunded = dec("5")
	h := &History{
		Orders: []*store.Order{
			order("ana", "a0", "2024-12-10T15:00:00Z", "PEN", "100"),
			refunded,
			order("ana", "a2", "2025-03-01T05:30:00Z", "PEN", "40"), // 00:30 on March 1st in Lima
			order("bob", "b1", "2025-01-20T15:00:00Z", "PEN", "80"),
			order("bob", "b2", "2025-01-25T03:00:00Z", "USD", "10"),
			cancelled,
			order("cid", "c1", "2025-03-01T04:30:00Z", "PEN", "25"), // 23:30 on February 28th in Lima
			order("cid", "c2", "2025-03-15T04:30:00Z", "PEN", "35"),
			refundOnly,
			order("dan", "d1", "2025-04-02T15:00:00Z", "PEN", "15"),
		},
		Versions: []store.FlowVersion{
			{Version: "wb1", FlowID: "win-back", Source: []byte("flow: win-back\nholdout: \"50%\"\nsteps: []\n")},
			{Version: "ty1", FlowID: "thank-you", Source: []byte("flow: thank-you\ngoal: {event: survey.answered, within: 30d}\nsteps: []\n")},
			{Version: "rv1", FlowID: "review", Source: []byte("flow: review\nsteps: []\n")},
		},
		Journeys: []*store.Journey{
			journey("ana", "j1", "win-back", "wb1", "2025-02-20T15:00:00Z", false, ""), // a2 within 14 days
			journey("bob", "j2", "win-back", "wb1", "2025-02-01T15:00:00Z", false, ""), // only a cancelled order after
			journey("cid", "j3", "win-back", "wb1", "2025-03-01T04:30:00Z", true, ""),  // c1 at the moment of entry does not count; c2 at exactly 14 days does
			journey("dan", "j4", "win-back", "wb1", "2025-03-25T15:00:00Z", true, ""),  // d1, after the period, within the window
			journey("ana", "j5", "thank-you", "ty1", "2025-01-05T15:00:00Z", false, "2025-01-10T15:00:00Z"),
			journey("bob", "j6", "thank-you", "ty1", "2025-01-20T15:00:00Z", false, ""),                     // b2 within the window, but the goal decides
			journey("ana", "j7", "thank-you", "ty1", "2024-12-10T15:00:00Z", false, "2024-12-12T15:00:00Z"), // before the period
			journey("cid", "j8", "review", "rv1", "2025-02-01T15:00:00Z", true, ""),                         // c1 is 27.5 days later
		},
		Messages: []*store.Message{
			message("ana", "m1", "win-back", "email", store.Sent, "", "2025-02-20T15:00:00Z"),
			message("ana", "m2", "win-back", "sms", store.Pending, "quiet_hours", "2025-02-21T15:00:00Z"),
			message("cid", "m3", "win-back", "email", store.Skipped, "holdout", "2025-03-01T04:30:00Z"),
			message("dan", "m4", "win-back", "email", store.Skipped, "holdout", "2025-03-25T15:00:00Z"),
			message("dan", "m5", "win-back", "email", store.Skipped, "consent", "2025-04-01T15:00:00Z"), // after
			message("bob", "m6", "win-back", "email", store.Skipped, "frequency", "2025-02-02T15:00:00Z"),
			message("ana", "m7", "thank-you", "email", store.Failed, "render: boom", "2025-01-05T15:00:00Z"),
			message("ana", "m8", "thank-you", "email", store.Sent, "", "2025-01-01T04:00:00Z"), // December in Lima
		},
		Events: []store.StoredEvent{
			survey("ana", "s1", "2025-01-10T15:00:00Z", json.Number("10")),
			survey("bob", "s2", "2025-01-11T15:00:00Z", json.Number("9")),
			survey("cid", "s3", "2025-01-12T15:00:00Z", json.Number("9.0")),
			survey("dan", "s4", "2025-01-13T15:00:00Z", json.Number("7")),
			survey("eve", "s5", "2025-01-14T15:00:00Z", json.Number("3")),
			survey("ana", "s6", "2025-01-15T15:00:00Z", "9"),                // a string: not a score
			survey("bob", "s7", "2025-01-16T15:00:00Z", json.Number("11")),  // out of range
			survey("ana", "s8", "2025-03-02T15:00:00Z", json.Number("9.5")), // not whole
			survey("bob", "s9", "2025-03-03T15:00:00Z", nil),                // no score
			survey("cid", "s10", "2025-01-01T04:00:00Z", json.Number("10")), // December in Lima
			survey("dan", "s11", "2025-02-02T15:00:00Z", json.Number("6")),
			survey("eve", "s12", "2025-04-01T04:30:00Z", json.Number("8")), // March 31st in Lima
			{Event: event.Event{SpecVersion: "1.0", ID: "o1", Source: "test", Type: event.OrderPlaced, Subject: "ana",
				Time: at("2025-01-20T15:00:00Z"), Data: map[string]any{"score": json.Number("10")}}}, // not a survey
		},
	}
	return h, q
}

// Every figure of the quarter, worked out by hand from the history above.
//
// Months (in Lima): January has ana (from before: returning) and bob (new), 3 orders, of which one
// in dollars: revenue 30 (ana's 50 less 20 refunded) + 80 = 110 soles, the dollars apart. February
// has cid alone (bob's order was cancelled; cid's 23:30 order is February's in Lima). March has
// ana and cid, both returning: 40 + 35.
//
// Second orders: ana's January order 26 days after December's, bob's dollar order 4.5 days after
// his first, cid's 14 days after: quartiles 9.25 (9.3), 14 and 20 days.
//
// Cohorts: January is bob alone (no counted order in February or March; his dollar order counts
// as an order, not in soles); February is cid, again in March (25, then 25 + 35 = 60).
//
// Win-back (no goal: a counted order within 14 days): ana converts (40 soles), bob does not (his
// order was cancelled); in the holdout cid converts by the order exactly 14 days after entering
// (35) and dan by the order after the period (15). Rates 1/2 and 2/2, lift −0.5 (relative −0.5),
// Newcombe's interval [−0.9055, 0.2726]. Thank-you has a goal, reached by ana's journey only, and
// no holdout. Review has only a holdout journey, which does not convert.
//
// NPS: January has 10, 9 and 9.0 (promoters), 7 (passive) and 3 (detractor): 100 × (3 − 1) / 5 = 40.
const quarterReport = `{
 "period": {"from": "2025-01", "to": "2025-03", "timezone": "America/Lima", "currency": "PEN", "window": "14d"},
 "months": [
  {"month": "2025-01", "buyers": 2, "returning_buyers": 1, "repeat_rate": 0.5, "orders": 3, "revenue": "110.00", "returning_revenue": "30.00",
   "other_currencies": [{"currency": "USD", "orders": 1, "revenue": "10.00"}]},
  {"month": "2025-02", "buyers": 1, "returning_buyers": 0, "repeat_rate": 0, "orders": 1, "revenue": "25.00", "returning_revenue": "0.00"},
  {"month": "2025-03", "buyers": 2, "returning_buyers": 2, "repeat_rate": 1, "orders": 2, "revenue": "75.00", "returning_revenue": "75.00"}
 ],
 "time_to_second_order": {"customers": 3, "median_days": 14, "p25_days": 9.3, "p75_days": 20},
 "cohorts": [
  {"cohort": "2025-01", "customers": 1, "retention": [1, 0, 0], "clv": ["80.00", "80.00", "80.00"]},
  {"cohort": "2025-02", "customers": 1, "retention": [1, 1], "clv": ["25.00", "60.00"]}
 ],
 "flows": [
  {"flow": "review", "converts_on": "order", "journeys": {"treatment": 0, "holdout": 1}, "converted": {"treatment": 0, "holdout": 0},
   "rate": {"treatment": null, "holdout": 0}, "lift": null, "revenue_per_journey": {"treatment": null, "holdout": "0.00"},
   "messages": {}, "skipped": {}},
  {"flow": "thank-you", "converts_on": "goal", "journeys": {"treatment": 2, "holdout": 0}, "converted": {"treatment": 1, "holdout": 0},
   "rate": {"treatment": 0.5, "holdout": null}, "lift": null, "revenue_per_journey": {"treatment": "0.00", "holdout": null},
   "messages": {"email": 1}, "skipped": {}},
  {"flow": "win-back", "converts_on": "order", "journeys": {"treatment": 2, "holdout": 2}, "converted": {"treatment": 1, "holdout": 2},
   "rate": {"treatment": 0.5, "holdout": 1}, "lift": {"absolute": -0.5, "relative": -0.5, "ci95": [-0.9055, 0.2726]},
   "revenue_per_journey": {"treatment": "20.00", "holdout": "25.00"},
   "messages": {"email": 1, "sms": 1}, "skipped": {"frequency": 1, "holdout": 2}}
 ],
 "nps": [
  {"month": "2025-01", "responses": 5, "promoters": 3, "passives": 1, "detractors": 1, "score": 40},
  {"month": "2025-02", "responses": 1, "promoters": 0, "passives": 0, "detractors": 1, "score": -100},
  {"month": "2025-03", "responses": 1, "promoters": 0, "passives": 1, "detractors": 0, "score": 0}
 ]
}`

func testQuarterByHand(t *testing.T, s Sources) {
	h, q := quarter()
	Equal(t, compute(t, s, h, q), quarterReport)
}

func testEmpty(t *testing.T, s Sources) {
	_, q := quarter()
	Equal(t, compute(t, s, &History{}, q), `{
 "period": {"from": "2025-01", "to": "2025-03", "timezone": "America/Lima", "currency": "PEN", "window": "14d"},
 "months": [
  {"month": "2025-01", "buyers": 0, "returning_buyers": 0, "repeat_rate": null, "orders": 0, "revenue": "0.00", "returning_revenue": "0.00"},
  {"month": "2025-02", "buyers": 0, "returning_buyers": 0, "repeat_rate": null, "orders": 0, "revenue": "0.00", "returning_revenue": "0.00"},
  {"month": "2025-03", "buyers": 0, "returning_buyers": 0, "repeat_rate": null, "orders": 0, "revenue": "0.00", "returning_revenue": "0.00"}
 ],
 "time_to_second_order": {"customers": 0, "median_days": null, "p25_days": null, "p75_days": null},
 "cohorts": [], "flows": [], "nps": []
}`)
}
