// Package page renders a report as one HTML page with its charts drawn in SVG: no script, no font,
// no image, nothing the page loads from anywhere, so that it can be mailed, archived or opened
// offline, and served as it is by a dashboard. The template and the style sheet are embedded.
package page

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/insight"
	"github.com/shopspring/decimal"
)

//go:embed page.html style.css
var assets embed.FS

var tmpl = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"f1": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).ParseFS(assets, "page.html"))

var style = func() template.CSS {
	b, err := assets.ReadFile("style.css")
	if err != nil {
		panic(err)
	}
	return template.CSS(b) // our own file, embedded at build time
}()

// Options change what the page shows around the report.
type Options struct {
	// Picker, when set, adds a form to pick another period: a GET to Action with from and to.
	Picker *Picker
	// Title is the page's title (default: "Afterglow report").
	Title string
	// Stylesheet, when set, is where the page links its style sheet (CSS, served as it is) from,
	// instead of carrying it inline: a dashboard whose pages share it and forbid inline styles.
	Stylesheet string
	// Nav is the dashboard's menu in the header.
	Nav []Link
}

// Link is an entry of a dashboard's menu.
type Link struct {
	Name, Href string
	Current    bool
}

// CSS is the style sheet of the page, for a dashboard to serve to all its pages.
func CSS() []byte { return []byte(style) }

// Picker is the period form of a page served by a dashboard.
type Picker struct {
	Action   string // where the form goes, like /ui/
	From, To string // the months shown, like 2025-01
}

// Render writes the page of a report.
func Render(w io.Writer, r *insight.Report, o Options) error {
	v := build(r, o)
	return tmpl.Execute(w, v)
}

type view struct {
	Title, Headline, Period string
	Style                   template.CSS
	Picker                  *Picker
	Stylesheet              string
	Nav                     []Link
	Cards                   []card
	Repeat                  *chart
	Months                  []insight.MonthFigures
	Other                   []string
	Heat                    *heat
	CLV                     *chart
	Legend                  []legendItem
	Flows                   []flowView // with a holdout: charts of both arms and the lift
	Untested                []flowView // without one: a line each
	AnyFlow                 bool
	Window                  string
	NPS                     *chart
	NPSRows                 []insight.NPS
	R                       *insight.Report
}

type card struct{ Label, Value, Note string }

type legendItem struct{ Name, Color string }

func build(r *insight.Report, o Options) *view {
	v := &view{Title: o.Title, Headline: r.Headline(), Style: style, Picker: o.Picker, Stylesheet: o.Stylesheet, Nav: o.Nav, Months: r.Months, R: r, Window: r.Period.Window}
	if v.Title == "" {
		v.Title = "Afterglow report"
	}
	p := r.Period
	v.Period = fmt.Sprintf("%s to %s · months in %s · money in %s", monthName(p.From), monthName(p.To), p.Timezone, p.Currency)
	v.Cards = cards(r)
	if len(r.Months) > 0 {
		v.Repeat = repeatChart(r.Months)
	}
	for _, m := range r.Months {
		for _, c := range m.OtherCurrencies {
			what := "orders"
			if c.Orders == 1 {
				what = "order"
			}
			v.Other = append(v.Other, fmt.Sprintf("%s: %d %s in %s (%s)", monthName(m.Month), c.Orders, what, c.Currency, amount(c.Revenue.Decimal)))
		}
	}
	if len(r.Cohorts) > 0 {
		v.Heat = heatmap(r.Cohorts)
		v.CLV, v.Legend = clvChart(r.Cohorts, p.Currency)
	}
	for _, f := range r.Flows {
		fv := flowOf(f)
		if f.Journeys.Holdout == 0 {
			v.Untested = append(v.Untested, fv)
		} else {
			v.Flows = append(v.Flows, fv)
		}
	}
	v.AnyFlow = len(r.Flows) > 0
	if len(r.NPS) > 0 {
		v.NPS = npsChart(r.NPS)
		v.NPSRows = r.NPS
	}
	return v
}

func monthName(s string) string {
	m, err := insight.ParseMonth(s)
	if err != nil {
		return s
	}
	return m.Name()
}

func shortMonth(s string) string {
	m, err := insight.ParseMonth(s)
	if err != nil {
		return s
	}
	return m.Month.String()[:3]
}

// amount writes money with thousands separators: 12,345.60.
func amount(d decimal.Decimal) string {
	s := d.StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "−" + out
	}
	return out
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func cards(r *insight.Report) []card {
	var out []card
	if n := len(r.Months); n > 0 {
		last := r.Months[n-1]
		out = append(out, card{"Buyers in " + monthName(last.Month), fmt.Sprint(last.Buyers), fmt.Sprintf("%d orders", last.Orders)})
		if last.RepeatRate != nil {
			note := "had bought before"
			if n > 1 && r.Months[n-2].RepeatRate != nil {
				d := 100 * (*last.RepeatRate - *r.Months[n-2].RepeatRate)
				note = fmt.Sprintf("%+.1f points on %s", d, monthName(r.Months[n-2].Month))
			}
			out = append(out, card{"Repeat rate", last.RepeatPercent(), note})
		}
		share := "-"
		if last.Revenue.IsPositive() {
			f, _ := last.ReturningRevenue.Div(last.Revenue.Decimal).Float64()
			share = pct(f) + " from returning buyers"
		}
		out = append(out, card{"Revenue in " + monthName(last.Month), amount(last.Revenue.Decimal) + " " + r.Period.Currency, share})
	}
	if s := r.TimeToSecondOrder; s.MedianDays != nil {
		out = append(out, card{"Days to a second order", fmt.Sprintf("%.1f", *s.MedianDays),
			fmt.Sprintf("median of %d customers; half between %.0f and %.0f", s.Customers, *s.P25Days, *s.P75Days)})
	}
	if n := len(r.NPS); n > 0 {
		last := r.NPS[n-1]
		out = append(out, card{"NPS in " + monthName(last.Month), fmt.Sprintf("%+.0f", last.Score), fmt.Sprintf("%d answers", last.Responses)})
	}
	return out
}

// repeatChart draws each month's buyers as a bar, those who had bought before at its foot, and
// the repeat rate as a line over them.
func repeatChart(ms []insight.MonthFigures) *chart {
	const w, h, left, right, top, bottom = 760.0, 280.0, 48.0, 48.0, 16.0, 40.0
	c := &chart{Width: w, Height: h, Label: "Buyers by month, returning buyers at the foot of each bar, and the repeat rate as a line"}
	var maxBuyers int64
	for _, m := range ms {
		maxBuyers = max(maxBuyers, m.Buyers)
	}
	yMax := niceMax(float64(maxBuyers))
	y := scale{0, yMax, h - bottom, top}
	rate := scale{0, 1, h - bottom, top}
	slot := (w - left - right) / float64(len(ms))
	bw := math.Min(slot*0.7, 48)
	for i := 0; i <= 4; i++ {
		v := yMax * float64(i) / 4
		c.Lines = append(c.Lines, line{left, y.at(v), w - right, y.at(v), "grid"})
		c.Texts = append(c.Texts, text{left - 6, y.at(v) + 4, fmt.Sprintf("%.0f", v), "end", "axis"})
		c.Texts = append(c.Texts, text{w - right + 6, rate.at(float64(i)/4) + 4, fmt.Sprintf("%d%%", 25*i), "start", "axis rate-axis"})
	}
	var xs, ys []float64
	for i, m := range ms {
		x := left + slot*float64(i) + (slot-bw)/2
		title := fmt.Sprintf("%s: %d buyers, %d had bought before", monthName(m.Month), m.Buyers, m.ReturningBuyers)
		newB := m.Buyers - m.ReturningBuyers
		c.Rects = append(c.Rects,
			rect{x, y.at(float64(m.Buyers)), bw, y.at(float64(m.ReturningBuyers)) - y.at(float64(m.Buyers)), "bar-new", fmt.Sprintf("%s; %d new", title, newB)},
			rect{x, y.at(float64(m.ReturningBuyers)), bw, y.at(0) - y.at(float64(m.ReturningBuyers)), "bar-returning", title})
		label := shortMonth(m.Month)
		if i == 0 || strings.HasSuffix(m.Month, "-01") {
			label += " " + m.Month[:4]
		}
		if len(ms) <= 14 || i%3 == 0 {
			c.Texts = append(c.Texts, text{x + bw/2, h - bottom + 16, label, "middle", "axis"})
		}
		if m.RepeatRate != nil {
			xs, ys = append(xs, x+bw/2), append(ys, rate.at(*m.RepeatRate))
			c.Dots = append(c.Dots, dot{x + bw/2, rate.at(*m.RepeatRate), 3.5, "rate", "", fmt.Sprintf("%s: repeat rate %s", monthName(m.Month), m.RepeatPercent())})
		}
	}
	if len(xs) > 1 {
		c.Paths = append(c.Paths, path{points(xs, ys), "rate", "", "repeat rate"})
	}
	return c
}

// heat is the cohort grid: a row per cohort, a cell per month after its first.
type heat struct {
	Cols []int
	Rows []heatRow
}

type heatRow struct {
	Cohort    string
	Customers int64
	Cells     []heatCell
}

type heatCell struct{ Text, Class, Title string }

func heatmap(cs []insight.Cohort) *heat {
	h := &heat{}
	width := 0
	for _, c := range cs {
		width = max(width, len(c.Retention))
	}
	for k := 0; k < width; k++ {
		h.Cols = append(h.Cols, k)
	}
	for _, c := range cs {
		row := heatRow{Cohort: monthName(c.Cohort), Customers: c.Customers}
		for k, r := range c.Retention {
			// Ten shades; month 0 is always everyone, so it gets the page's neutral tone.
			class := fmt.Sprintf("h%d", min(9, int(math.Ceil(r*20))))
			if k == 0 {
				class = "h0 all"
			}
			row.Cells = append(row.Cells, heatCell{Text: fmt.Sprintf("%.0f%%", 100*r), Class: class,
				Title: fmt.Sprintf("%s: %s of %d bought in month %d", monthName(c.Cohort), pct(r), c.Customers, k)})
		}
		for k := len(c.Retention); k < width; k++ {
			row.Cells = append(row.Cells, heatCell{Class: "empty"})
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// palette colours cohorts from the oldest (light) to the newest (deep).
var palette = []string{"#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603", "#74c476", "#238b45"}

func clvChart(cs []insight.Cohort, currency string) (*chart, []legendItem) {
	const w, h, left, right, top, bottom = 760.0, 280.0, 64.0, 16.0, 16.0, 40.0
	c := &chart{Width: w, Height: h, Label: "Net revenue per customer of each cohort, month by month after its first order"}
	width, top0 := 0, 0.0
	for _, co := range cs {
		width = max(width, len(co.CLV))
		for _, v := range co.CLV {
			f, _ := v.Float64()
			top0 = math.Max(top0, f)
		}
	}
	yMax := niceMax(top0)
	y := scale{0, yMax, h - bottom, top}
	x := scale{0, float64(max(width-1, 1)), left, w - right}
	for i := 0; i <= 4; i++ {
		v := yMax * float64(i) / 4
		c.Lines = append(c.Lines, line{left, y.at(v), w - right, y.at(v), "grid"})
		c.Texts = append(c.Texts, text{left - 6, y.at(v) + 4, amount(decimal.NewFromFloat(v)), "end", "axis"})
	}
	for k := 0; k < width; k++ {
		c.Texts = append(c.Texts, text{x.at(float64(k)), h - bottom + 16, fmt.Sprint(k), "middle", "axis"})
	}
	c.Texts = append(c.Texts, text{(left + w - right) / 2, h - 6, "months after the first order", "middle", "axis"})
	var legend []legendItem
	for i, co := range cs {
		color := palette[i%len(palette)]
		legend = append(legend, legendItem{monthName(co.Cohort), color})
		var xs, ys []float64
		for k, v := range co.CLV {
			f, _ := v.Float64()
			xs, ys = append(xs, x.at(float64(k))), append(ys, y.at(f))
			c.Dots = append(c.Dots, dot{x.at(float64(k)), y.at(f), 3, "clv", color,
				fmt.Sprintf("%s, month %d: %s %s per customer", monthName(co.Cohort), k, amount(v.Decimal), currency)})
		}
		if len(xs) > 1 {
			c.Paths = append(c.Paths, path{points(xs, ys), "clv", color, monthName(co.Cohort)})
		}
	}
	return c, legend
}

// flowView is one flow's card: its conversion by arm and the lift with its interval.
type flowView struct {
	insight.Flow
	Verdict, VerdictClass string
	LiftText, Interval    string
	Rates                 *chart
	Lift                  *chart
	Messages, Skipped     string
	Revenue               string
	Rate, PerJourney      string // the reached arm's, for a flow without a holdout
}

func flowOf(f insight.Flow) flowView {
	v := flowView{Flow: f, Messages: counts(f.Messages), Skipped: counts(f.Skipped)}
	rpj := func(m *insight.Money) string {
		if m == nil {
			return "-"
		}
		return amount(m.Decimal)
	}
	v.Revenue = fmt.Sprintf("%s per journey reached, %s per journey held out", rpj(f.RevenuePerJourney.Treatment), rpj(f.RevenuePerJourney.Holdout))
	v.PerJourney, v.Rate = rpj(f.RevenuePerJourney.Treatment), "-"
	if f.Rate.Treatment != nil {
		v.Rate = pct(*f.Rate.Treatment)
	}
	switch {
	case f.Lift == nil && f.Journeys.Holdout == 0:
		v.Verdict, v.VerdictClass = "No holdout: its effect cannot be told", "unknown"
	case f.Lift == nil:
		v.Verdict, v.VerdictClass = "No journey reached a customer in this period", "unknown"
	case f.Lift.CI95[0] > 0:
		v.Verdict, v.VerdictClass = "Brings more conversions than doing nothing", "good"
	case f.Lift.CI95[1] < 0:
		v.Verdict, v.VerdictClass = "Converts fewer than its holdout", "bad"
	default:
		v.Verdict, v.VerdictClass = "Not yet distinguishable from its holdout", "unknown"
	}
	if f.Lift != nil {
		v.LiftText = fmt.Sprintf("%+.1f points", 100*f.Lift.Absolute)
		if f.Lift.Relative != nil {
			v.LiftText += fmt.Sprintf(" (%+.0f%%)", 100**f.Lift.Relative)
		}
		v.Interval = fmt.Sprintf("95%% interval %+.1f to %+.1f points", 100*f.Lift.CI95[0], 100*f.Lift.CI95[1])
		v.Lift = liftChart(f.Lift)
	}
	v.Rates = ratesChart(f)
	return v
}

// ratesChart draws the two arms' conversion rates as bars on one scale.
func ratesChart(f insight.Flow) *chart {
	const w, h, left, right = 360.0, 64.0, 78.0, 56.0
	c := &chart{Width: w, Height: h, Label: "Conversion rate of the customers reached and of the holdout"}
	top := 0.0
	for _, r := range []*float64{f.Rate.Treatment, f.Rate.Holdout} {
		if r != nil {
			top = math.Max(top, *r)
		}
	}
	x := scale{0, niceMax(top), left, w - right}
	arms := []struct {
		name  string
		rate  *float64
		n, cv int64
		class string
	}{{"reached", f.Rate.Treatment, f.Journeys.Treatment, f.Converted.Treatment, "arm-t"}, {"holdout", f.Rate.Holdout, f.Journeys.Holdout, f.Converted.Holdout, "arm-h"}}
	for i, a := range arms {
		y := 8 + float64(i)*28
		c.Texts = append(c.Texts, text{left - 8, y + 14, a.name, "end", "axis"})
		if a.rate == nil {
			c.Texts = append(c.Texts, text{left, y + 14, "no journeys", "start", "axis"})
			continue
		}
		c.Rects = append(c.Rects, rect{left, y, math.Max(x.at(*a.rate)-left, 1), 20, a.class,
			fmt.Sprintf("%d of %d converted", a.cv, a.n)})
		c.Texts = append(c.Texts, text{x.at(*a.rate) + 6, y + 14, pct(*a.rate), "start", "value"})
	}
	return c
}

// liftChart draws the lift as a point with its 95% interval, against zero.
func liftChart(l *insight.Lift) *chart {
	const w, h, pad = 360.0, 44.0, 24.0
	c := &chart{Width: w, Height: h, Label: "The lift in conversion rate with its 95% confidence interval"}
	lo, hi := math.Min(l.CI95[0], 0), math.Max(l.CI95[1], 0)
	span := math.Max(hi-lo, 0.02)
	x := scale{lo - span*0.1, hi + span*0.1, pad, w - pad}
	c.Lines = append(c.Lines, line{x.at(0), 4, x.at(0), h - 14, "zero"},
		line{x.at(l.CI95[0]), 16, x.at(l.CI95[1]), 16, "ci"},
		line{x.at(l.CI95[0]), 10, x.at(l.CI95[0]), 22, "ci"},
		line{x.at(l.CI95[1]), 10, x.at(l.CI95[1]), 22, "ci"})
	c.Dots = append(c.Dots, dot{x.at(l.Absolute), 16, 5, "lift", "", fmt.Sprintf("lift %+.1f points", 100*l.Absolute)})
	c.Texts = append(c.Texts, text{x.at(0), h - 2, "0", "middle", "axis"},
		text{x.at(l.CI95[0]), h - 2, fmt.Sprintf("%+.1f", 100*l.CI95[0]), "middle", "axis"},
		text{x.at(l.CI95[1]), h - 2, fmt.Sprintf("%+.1f", 100*l.CI95[1]), "middle", "axis"})
	return c
}

func npsChart(ns []insight.NPS) *chart {
	const w, h, left, right, top, bottom = 760.0, 200.0, 48.0, 16.0, 12.0, 28.0
	c := &chart{Width: w, Height: h, Label: "Net promoter score by month, from -100 to 100"}
	y := scale{-100, 100, h - bottom, top}
	for _, v := range []float64{-100, -50, 0, 50, 100} {
		class := "grid"
		if v == 0 {
			class = "zero"
		}
		c.Lines = append(c.Lines, line{left, y.at(v), w - right, y.at(v), class})
		c.Texts = append(c.Texts, text{left - 6, y.at(v) + 4, fmt.Sprintf("%.0f", v), "end", "axis"})
	}
	slot := (w - left - right) / float64(len(ns))
	bw := math.Min(slot*0.6, 40)
	for i, n := range ns {
		x := left + slot*float64(i) + (slot-bw)/2
		y0, y1 := y.at(0), y.at(n.Score)
		class := "nps-up"
		if n.Score < 0 {
			class = "nps-down"
		}
		c.Rects = append(c.Rects, rect{x, math.Min(y0, y1), bw, math.Max(math.Abs(y1-y0), 1), class,
			fmt.Sprintf("%s: NPS %+.1f from %d answers (%d promoters, %d passives, %d detractors)", monthName(n.Month), n.Score, n.Responses, n.Promoters, n.Passives, n.Detractors)})
		c.Texts = append(c.Texts, text{x + bw/2, h - bottom + 16, shortMonth(n.Month), "middle", "axis"})
	}
	return c
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
