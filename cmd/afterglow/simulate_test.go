package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/insight"
)

// The example shop starts its simulation from its history: customers with past orders come back
// as repeat buyers (a loyalty tier reached on their first order of the weeks).
func TestSimulateStartsFromTheHistory(t *testing.T) {
	// Long enough for the Silver news below, of low priority, to find a quiet month.
	code, out, errs := afterglow(t, "simulate", "--until", "200d", "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, " orders of ") || !strings.Contains(errs, "examples/shop/history/orders_export.csv") {
		t.Errorf("stderr does not say what history was imported:\n%s", errs)
	}
	// Carmen's first order of October is her fourth or so: she reaches Silver on it.
	if !strings.Contains(out, `Carmen H.      loyalty-tiers/silver-news`) {
		t.Errorf("Carmen does not come back as a repeat buyer")
	}
	// A customer of the history alone gets the anniversary of their first order, named.
	if !strings.Contains(out, "registration-anniversary/celebrate") {
		t.Errorf("no anniversary for the history's customers")
	}
	code, without, errs := afterglow(t, "simulate", "--until", "200d", "../../examples/shop", "--no-history")
	if code != 0 || strings.Contains(errs, "history:") || strings.Contains(without, `Carmen H.      loyalty-tiers/silver-news`) {
		t.Errorf("--no-history (exit %d) still imports the history: %s", code, errs)
	}
}

func TestSimulateRefusesABadOrLateHistory(t *testing.T) {
	orders, err := os.ReadFile("../../examples/shop/history/orders_export.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(dir, "orders_export.csv"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(strings.Replace(string(orders), ",PEN,", ",S/,", 1))
	code, _, errs := afterglow(t, "simulate", "../../examples/shop", "--history", dir)
	if code != 1 || !strings.Contains(errs, "orders_export.csv:2: order #1001: Currency") || !strings.Contains(errs, "--no-history") {
		t.Errorf("a bad history: exit %d, %s", code, errs)
	}
	// An order after the events begin.
	write(strings.Replace(string(orders), "2024-10-01 ", "2025-10-01 ", 2))
	code, _, errs = afterglow(t, "simulate", "../../examples/shop", "--history", dir)
	if code != 2 || !strings.Contains(errs, "after the first event") {
		t.Errorf("a history overlapping the events: exit %d, %s", code, errs)
	}
	code, _, errs = afterglow(t, "simulate", "../../examples/shop", "--history", filepath.Join(dir, "nowhere"))
	if code != 2 || !strings.Contains(errs, "orders_export.csv") {
		t.Errorf("a missing history: exit %d, %s", code, errs)
	}
}

// Over the example shop the starter library's plays share the monthly allowance: the limit holds
// for every customer (two marketing messages in any 30 days), and no play has most of what it
// writes kept back by it; the plays that earn the most lose the least.
func TestExampleShopSharesTheAllowance(t *testing.T) {
	code, out, errs := afterglow(t, "simulate", "--format", "json", "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Until    time.Time `json:"until"`
		Messages []struct {
			At       time.Time `json:"at"`
			Customer string    `json:"customer"`
			Flow     string    `json:"flow"`
			Category string    `json:"category"`
			Status   string    `json:"status"`
			Reason   string    `json:"reason"`
		} `json:"messages"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	leaving := map[string][]time.Time{}
	sent, kept := map[string]int{}, map[string]int{}
	for _, m := range r.Messages {
		// The shop's VIP thank-you lifts the limit for itself (frequency: []).
		if m.Category != "marketing" || m.Flow == "vip-gift" {
			continue
		}
		switch {
		case m.Status == "skipped" && m.Reason == "frequency":
			kept[m.Flow]++
		case m.Status != "skipped" && m.Status != "failed":
			leaving[m.Customer] = append(leaving[m.Customer], m.At)
			if !m.At.After(r.Until) {
				sent[m.Flow]++ // on time, or later than it was due (held), but within the run
			}
		}
	}
	for c, ts := range leaving {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		for i := 2; i < len(ts); i++ {
			if ts[i].Sub(ts[i-2]) < 30*24*time.Hour {
				t.Errorf("customer %s gets three marketing messages within 30 days: %v, %v, %v", c, ts[i-2], ts[i-1], ts[i])
			}
		}
	}
	for f, n := range kept {
		if n*3 > (n+sent[f])*2 {
			t.Errorf("%s: %d messages sent, %d skipped by the limit: starved", f, sent[f], n)
		}
	}
	// The plays that earn the most: nothing of theirs is dropped by the limit.
	for _, f := range []string{"abandoned-checkout", "cross-sell", "cashback", "replenishment"} {
		if kept[f] > 0 || sent[f] == 0 {
			t.Errorf("%s: %d sent, %d skipped by the limit", f, sent[f], kept[f])
		}
	}
	if len(sent) < 12 {
		t.Errorf("only %d plays sent marketing messages: %v", len(sent), sent)
	}
}

// simulate --report writes the report of the simulated shop, in the format its file's extension
// names: the months up to the last event's, in the workspace's time zone and currency.
func TestSimulateReport(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"afterglow.yaml": "flows: [flows]\ntemplates: [flows]\ntimezone: America/Lima\ncurrency: PEN\nchannels:\n  email: {connector: console}\n",
		"flows/follow-up.yaml": `flow: follow-up
trigger: {event: order.placed}
steps:
  - {id: hello, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: "Hi", text: "Hi"}}}}}
`,
		"events.ndjson": `{"specversion":"1.0","id":"1","source":"t","type":"customer.created","subject":"ana","time":"2025-10-01T14:00:00Z","data":{"email":"a@example.com"}}
{"specversion":"1.0","id":"2","source":"t","type":"order.placed","subject":"ana","time":"2025-10-01T15:00:00Z","data":{"order_id":"1","total":"50.00","currency":"PEN"}}
{"specversion":"1.0","id":"3","source":"t","type":"order.placed","subject":"bob","time":"2025-10-05T15:00:00Z","data":{"order_id":"2","total":"20.00","currency":"PEN"}}
{"specversion":"1.0","id":"4","source":"t","type":"order.placed","subject":"ana","time":"2025-10-20T15:00:00Z","data":{"order_id":"3","total":"30.00","currency":"PEN"}}
{"specversion":"1.0","id":"5","source":"t","type":"order.cancelled","subject":"bob","time":"2025-10-06T15:00:00Z","data":{"order_id":"2"}}
{"specversion":"1.0","id":"6","source":"t","type":"survey.answered","subject":"ana","time":"2025-10-21T15:00:00Z","data":{"score":9}}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "report.json")
	if code, _, errs := afterglow(t, "simulate", dir, "--report", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r insight.Report
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	// October: Ana twice (her first orders ever), Bob's order cancelled; three journeys, none
	// followed by an order within 14 days (Ana's second came 19 days after her first).
	oct := r.Months[len(r.Months)-1]
	if r.Period.To != "2025-10" || r.Period.Currency != "PEN" || oct.Buyers != 1 || oct.ReturningBuyers != 0 || oct.Orders != 2 ||
		oct.Revenue.StringFixed(2) != "80.00" {
		t.Errorf("period %+v, October %+v", r.Period, oct)
	}
	if len(r.Flows) != 1 || r.Flows[0].Journeys.Treatment != 3 || r.Flows[0].Converted.Treatment != 0 || r.Flows[0].Lift != nil ||
		r.Flows[0].Messages["email"] != 2 || r.Flows[0].Skipped["no_address"] != 1 { // Bob has no email
		t.Errorf("flows %+v", r.Flows)
	}
	if s := r.TimeToSecondOrder; s.Customers != 1 || *s.MedianDays != 19 || len(r.NPS) != 1 || r.NPS[0].Promoters != 1 {
		t.Errorf("second orders %+v, NPS %+v", s, r.NPS)
	}
	page := filepath.Join(dir, "report.html")
	if code, _, errs := afterglow(t, "simulate", dir, "--report", page); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "October 2025: 1 buyer, buying for the first time.") {
		t.Errorf("the page: %v\n%.300s", err, b)
	}
}

// carmen is a customer of the example shop's events.
const carmen = "786640453979613639"

// Filters narrow what is shown, not what runs: a customer's messages are the same whether the
// whole shop is shown or only her, and shown whole when she is shown alone.
func TestSimulateFiltersShowAndFullContent(t *testing.T) {
	code, all, errs := afterglow(t, "simulate", "--no-history", "--format", "json", "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	type report struct {
		Messages []struct {
			Customer, Flow, Step, Status string
		} `json:"messages"`
		Flows []struct {
			Flow    string `json:"flow"`
			Entered int    `json:"entered"`
		} `json:"flows"`
	}
	var whole, hers, two report
	if err := json.Unmarshal([]byte(all), &whole); err != nil {
		t.Fatal(err)
	}
	code, out, errs := afterglow(t, "simulate", "--no-history", "--format", "json", "--customer", carmen, "../../examples/shop")
	if code != 0 || json.Unmarshal([]byte(out), &hers) != nil {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var want []string
	for _, m := range whole.Messages {
		if m.Customer == carmen {
			want = append(want, m.Flow+"/"+m.Step+" "+m.Status)
		}
	}
	var got []string
	for _, m := range hers.Messages {
		got = append(got, m.Flow+"/"+m.Step+" "+m.Status)
	}
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("--customer shows other messages than hers in the whole simulation:\n got %v\nwant %v", got, want)
	}
	code, out, errs = afterglow(t, "simulate", "--no-history", "--format", "json", "--flow", "welcome", "--flow", "win-back", "../../examples/shop")
	if code != 0 || json.Unmarshal([]byte(out), &two) != nil {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if len(two.Flows) != 2 || two.Flows[0].Flow != "welcome" && two.Flows[0].Flow != "win-back" {
		t.Errorf("--flow twice shows %v", two.Flows)
	}
	for _, m := range two.Messages {
		if m.Flow != "welcome" && m.Flow != "win-back" {
			t.Fatalf("--flow welcome --flow win-back shows a message of %s", m.Flow)
		}
	}

	// One customer in text: every line of each message's body, indented under it.
	code, text, errs := afterglow(t, "simulate", "--no-history", "--customer", carmen, "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Shown: customer " + carmen, "        subject: ¡Gracias, Carmen!", "        | Esto es lo que elegiste:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the timeline of one customer lacks %q:\n%s", want, text)
		}
	}
	code, brief, _ := afterglow(t, "simulate", "--no-history", "../../examples/shop")
	if code != 0 || strings.Contains(brief, "        | ") {
		t.Errorf("without a filter or --full, the timeline shows bodies (exit %d)", code)
	}

	for _, c := range []struct{ flag, value, want string }{{"--flow", "win-bak", "did you mean win-back?"}, {"--customer", "nobody", "--customer nobody"}} {
		code, _, errs := afterglow(t, "simulate", "--no-history", c.flag, c.value, "../../examples/shop")
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%s %s: exit %d, want 2 and %q: %s", c.flag, c.value, code, c.want, errs)
		}
	}
}

// The summary's columns are as wide as their widest cell, and a legend says what each counts.
func TestSimulateSummaryColumnsFitAndAreExplained(t *testing.T) {
	code, out, errs := afterglow(t, "simulate", "--no-history", "../../examples/shop")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(out, "\n")
	head := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "flow ") && strings.Contains(l, "messages") {
			head = i
		}
	}
	if head < 0 {
		t.Fatalf("no summary table:\n%s", out)
	}
	held := strings.Index(lines[head], "held")
	for _, l := range lines[head+1:] {
		if l == "" {
			break
		}
		// The cell before "held" ends with two spaces of margin; a long messages cell would run into it.
		if len(l) > held && (l[held-1] != ' ' || l[held-2] != ' ') {
			t.Errorf("a messages cell runs into the held column:\n%s\n%s", lines[head], l)
		}
	}
	for _, want := range []string{"held       of those, sent later", "skipped    never sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("the legend lacks %q", want)
		}
	}
}
