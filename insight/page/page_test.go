package page

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/insight"
	"github.com/shopspring/decimal"
)

// year is a shop's twelve months: buyers growing, a fifth to a third of them returning, cohorts,
// a flow with a holdout that works, one without a holdout, one without journeys reached, and NPS.
func year() *insight.Report {
	q := insight.Query{From: insight.Month{Year: 2025, Month: 1}, To: insight.Month{Year: 2025, Month: 12}, Location: time.UTC,
		Currency: "PEN", Window: insight.DefaultWindow}
	a := &insight.Aggregates{Cells: map[[2]int]insight.Cell{}, NPS: map[int]*insight.NPSSums{}}
	for m := 1; m <= 12; m++ {
		a.Cells[[2]int{0, m}] = insight.Cell{Customers: int64(20 + m), Orders: int64(25 + m), Revenue: decimal.NewFromInt(int64(2500 + 90*m))}
		for f := 1; f <= m; f++ {
			n := int64(100 + 5*f)
			if f != m {
				n = n / int64(3+m-f)
			}
			a.Cells[[2]int{f, m}] = insight.Cell{Customers: n, Orders: n + n/4, Revenue: decimal.NewFromInt(n * 83).Add(decimal.RequireFromString("0.45"))}
		}
		a.NPS[m] = &insight.NPSSums{Promoters: int64(20 + m), Passives: 10, Detractors: int64(18 - m)}
	}
	a.Other = map[int]map[string]insight.Cell{11: {"USD": {Orders: 3, Revenue: decimal.RequireFromString("120.50")}}}
	a.SecondOrders, a.SecondOrder = 312, [3]float64{20 * 86400, 34.5 * 86400, 61 * 86400}
	a.Flows = map[string]*insight.FlowSums{
		"win-back": {Journeys: [2]int64{360, 40}, Converted: [2]int64{90, 3}, Revenue: [2]decimal.Decimal{decimal.NewFromInt(9000), decimal.NewFromInt(300)},
			Messages: map[string]int64{"email": 300, "sms": 20}, Skipped: map[string]int64{"frequency": 12, "holdout": 40}},
		"thank-you-nps": {Journeys: [2]int64{1500, 0}, Converted: [2]int64{450, 0}, Goal: true, Messages: map[string]int64{"email": 2900}},
		"<b>odd</b>":    {Journeys: [2]int64{0, 12}, Converted: [2]int64{0, 1}},
	}
	return insight.Build(q, a)
}

func render(t *testing.T, r *insight.Report, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The page needs nothing from anywhere: no script, style sheet, font, image or frame it would load.
func TestThePageIsSelfContained(t *testing.T) {
	html := render(t, year(), Options{})
	for _, bad := range []string{"http:", "https:", "//", "src=", "href=", "url(", "@import", "<script", "<link", "<iframe", "<img"} {
		if bad == "//" {
			// Only in the doctype-free sense: no protocol-relative reference in an attribute.
			if strings.Contains(html, `="//`) {
				t.Errorf("the page refers to something protocol-relative")
			}
			continue
		}
		if strings.Contains(html, bad) {
			i := strings.Index(html, bad)
			t.Errorf("the page holds %q: %s", bad, html[max(0, i-80):min(len(html), i+80)])
		}
	}
	if len(html) > 200_000 {
		t.Errorf("the page is %d bytes; a year's report should stay well under 200 kB", len(html))
	}
}

func TestThePageShowsTheReport(t *testing.T) {
	r := year()
	html := render(t, r, Options{})
	for _, want := range []string{
		`<h1 id="headline">` + r.Headline() + `</h1>`,
		`id="repeat"`, `id="cohorts"`, `id="clv"`, `id="flows"`, `id="nps"`,
		"Brings more conversions than doing nothing", // win-back: 25% against 7.5%
		"Flows without a holdout",                    // thank-you-nps, in a table
		"<td>thank-you-nps</td><td>its goal</td><td>1500</td><td>450</td><td>30.0%</td>",
		"No journey reached a customer in this period",
		"&lt;b&gt;odd&lt;/b&gt;",   // a name is text, never markup
		"3 orders in USD (120.50)", // other currencies apart
		"email 300, sms 20",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, "<b>odd</b>") {
		t.Errorf("a flow's name went into the page as markup")
	}
	// A chart each for the months, lifetime values and NPS, and the rates of each flow with a
	// holdout, plus the lift of the one with both arms.
	if n, want := strings.Count(html, `<svg class="chart"`), 3+2+1; n != want {
		t.Errorf("%d charts, want %d", n, want)
	}
	if n := strings.Count(html, "<rect"); n < 12*2+12 {
		t.Errorf("%d bars: the months and NPS charts are missing some", n)
	}
	if strings.Contains(html, "<form") {
		t.Errorf("a page without a picker has a form")
	}
}

func TestThePickerIsOptional(t *testing.T) {
	html := render(t, year(), Options{Picker: &Picker{Action: "/ui/", From: "2025-01", To: "2025-12"}})
	for _, want := range []string{`<form class="picker" method="get" action="/ui/">`, `name="from" value="2025-01"`, `name="to" value="2025-12"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestAnEmptyReport(t *testing.T) {
	m := insight.Month{Year: 2025, Month: 10}
	r := insight.Build(insight.Query{From: m, To: m, Location: time.UTC, Currency: "PEN", Window: insight.DefaultWindow}, &insight.Aggregates{})
	html := render(t, r, Options{})
	if !strings.Contains(html, "October 2025: no buyers.") || !strings.Contains(html, "No journey entered a flow in this period.") {
		t.Errorf("an empty report's page:\n%s", html)
	}
}

func TestAmount(t *testing.T) {
	for in, want := range map[string]string{"0": "0.00", "12345.6": "12,345.60", "1234567.891": "1,234,567.89", "-1500": "−1,500.00", "999": "999.00"} {
		if got := amount(decimal.RequireFromString(in)); got != want {
			t.Errorf("amount(%s) = %s, want %s", in, got, want)
		}
	}
}

// The headline, the card, the table and the chart show the same repeat rate for the same counts:
// 15 of 19 is 78.9%, though the JSON's 0.7895 would round to 79.0%.
func TestTheRepeatRateReadsTheSameEverywhere(t *testing.T) {
	q := insight.Query{From: insight.Month{Year: 2025, Month: 10}, To: insight.Month{Year: 2025, Month: 10}, Location: time.UTC,
		Currency: "PEN", Window: insight.DefaultWindow}
	a := &insight.Aggregates{Cells: map[[2]int]insight.Cell{
		{0, 1}: {Customers: 15, Orders: 15, Revenue: decimal.NewFromInt(1500)},
		{1, 1}: {Customers: 4, Orders: 4, Revenue: decimal.NewFromInt(400)},
	}}
	r := insight.Build(q, a)
	if got := r.Months[0].RepeatPercent(); got != "78.9%" {
		t.Fatalf("15 of 19: %s, want 78.9%%", got)
	}
	html := render(t, r, Options{})
	if !strings.Contains(r.Headline(), "(78.9%)") {
		t.Errorf("headline %q", r.Headline())
	}
	if strings.Contains(html, "79.0%") {
		i := strings.Index(html, "79.0%")
		t.Errorf("the page rounds 15 of 19 to 79.0%% somewhere: %s", html[max(0, i-200):i+10])
	}
	if n := strings.Count(html, "78.9%"); n < 4 {
		t.Errorf("78.9%% appears %d times on the page, want it in the headline, the card, the table and the chart", n)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "78.9%") != 2 || strings.Contains(b.String(), "79.0%") {
		t.Errorf("the text does not show 78.9%% in the headline and the table:\n%s", b.String())
	}
}

// Served by a dashboard, the page links the shared style sheet, carries no inline style a
// Content-Security-Policy would refuse, and shows the menu.
func TestTheDashboardPageLinksItsStyleSheet(t *testing.T) {
	html := render(t, year(), Options{Stylesheet: "/ui/style.css", Nav: []Link{{Name: "Report", Href: "/ui/", Current: true}, {Name: "Customers", Href: "/ui/customers"}}})
	for _, bad := range []string{"<style", "style="} {
		if strings.Contains(html, bad) {
			t.Errorf("the page has %q", bad)
		}
	}
	for _, want := range []string{`<link rel="stylesheet" href="/ui/style.css">`, `<a href="/ui/" class="current" aria-current="page">Report</a>`, `<a href="/ui/customers">Customers</a>`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if !strings.Contains(string(CSS()), "header nav") {
		t.Errorf("the style sheet lacks the menu's rules")
	}
}
