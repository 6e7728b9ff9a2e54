package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/insighttest"
)

// importedCorpus is a database holding Shopify's sample export: five orders in March 2024, two of
// them Alex's, eleven days apart; Robin's was cancelled, Alex's second partly refunded (19.13).
func importedCorpus(t *testing.T) string {
	t.Helper()
	url := migratedSchema(t)
	orders, customers := abs(t, corpusOrders), abs(t, corpusCustomers)
	t.Chdir(t.TempDir()) // no afterglow.yaml here
	if code, _, errs := afterglow(t, "import", "shopify", "--orders", orders, "--customers", customers,
		"--db", url, "--shop", "example-goods.myshopify.com"); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	return url
}

func TestReportCommand(t *testing.T) {
	url := importedCorpus(t)

	code, out, errs := afterglow(t, "report", "--db", url, "--from", "2024-03", "--to", "2024-03", "--timezone", "America/New_York", "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	insighttest.Contract(t, []byte(out))
	var r insight.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("the JSON does not read back: %v\n%s", err, out)
	}
	// With --db alone the currency is that of most orders, and the command says so.
	if r.Period != (insight.Period{From: "2024-03", To: "2024-03", Timezone: "America/New_York", Currency: "USD", Window: "14d"}) {
		t.Errorf("period %+v", r.Period)
	}
	if !strings.Contains(errs, "money is in USD, the currency of most orders") || strings.Contains(errs, "UTC") {
		t.Errorf("notes: %q; want the currency's and not the time zone's (it was given)", errs)
	}
	m := r.Months[0]
	// 30.50 + 76.50 + (43.25 − 19.13) + 90.00; Robin's cancelled order does not count.
	if m.Buyers != 3 || m.ReturningBuyers != 0 || m.Orders != 4 || m.Revenue.StringFixed(2) != "221.12" {
		t.Errorf("March 2024: %d buyers, %d returning, %d orders, revenue %s; want Alex, Jamie and Casey, none back from before, 4 orders, 221.12",
			m.Buyers, m.ReturningBuyers, m.Orders, m.Revenue.StringFixed(2))
	}
	// Alex: 1 March 10:22:33 −05:00 to 12 March 08:47:19 −04:00 is 10 days, 21 hours and 24 minutes.
	if s := r.TimeToSecondOrder; s.Customers != 1 || s.MedianDays == nil || *s.MedianDays != 10.9 {
		t.Errorf("time to a second order %+v, want Alex's 10.9 days", s)
	}

	code, out, _ = afterglow(t, "report", "--db", url, "--from", "2024-02", "--to", "2024-03", "--timezone", "America/New_York")
	if first, _, _ := strings.Cut(out, "\n"); code != 0 || first != "March 2024: 3 buyers, 0 of them (0.0%) had bought before." {
		t.Errorf("text report, exit %d, opens with %q", code, first)
	}

	page := filepath.Join(t.TempDir(), "report.html")
	code, _, errs = afterglow(t, "report", "--db", url, "--to", "2024-03", "--format", "html", "--out", page, "--currency", "usd")
	b, err := os.ReadFile(page)
	if code != 0 || err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "money in USD") {
		t.Errorf("html report: exit %d (%s), %v, %d bytes", code, errs, err, len(b))
	}
	if !strings.Contains(errs, "months are in UTC") {
		t.Errorf("without a time zone the command must say the months are in UTC: %q", errs)
	}
}

func TestReportFromTheSettings(t *testing.T) {
	url := importedCorpus(t)
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "afterglow.yaml"), []byte("flows: []\ntimezone: America/New_York\ncurrency: USD\ndatabase: ${REPORT_TEST_DB}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REPORT_TEST_DB", url)
	code, out, errs := afterglow(t, "report", "--config", filepath.Join(ws, "afterglow.yaml"), "--to", "2024-03", "--format", "json")
	if code != 0 || errs != "" {
		t.Fatalf("report: exit %d, %q", code, errs)
	}
	var r insight.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Period.From != "2023-04" || r.Period.Timezone != "America/New_York" || len(r.Months) != 12 || r.Months[11].Buyers != 3 {
		t.Errorf("twelve months to March 2024 in New York: %+v, %d months", r.Period, len(r.Months))
	}
}

func TestReportUsage(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"report", "--db", "postgres://nowhere", "--format", "xml"},
		{"report", "--db", "postgres://nowhere", "--from", "2025-06", "--to", "2025-01"},
		{"report", "--db", "postgres://nowhere", "--from", "June"},
		{"report", "--db", "postgres://nowhere", "--window", "soon"},
		{"report", "--db", "postgres://nowhere", "--timezone", "Mars/Olympus"},
		{"report", "--config", "missing.yaml"},
		{"report"}, // no database anywhere
	} {
		t.Setenv("DATABASE_URL", "")
		code, _, errs := afterglow(t, args...)
		if code != 2 || errs == "" {
			t.Errorf("%v: exit %d, %q; want a usage error", args, code, errs)
		}
	}
}
