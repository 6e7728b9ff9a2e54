package insight

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Headline answers the Monday question for the period's last month, in one sentence.
func (r *Report) Headline() string {
	if len(r.Months) == 0 {
		return "No months in the period."
	}
	last := r.Months[len(r.Months)-1]
	name := last.Month
	if m, err := ParseMonth(last.Month); err == nil {
		name = m.Name()
	}
	switch {
	case last.Buyers == 0:
		return name + ": no buyers."
	case last.Buyers == 1:
		if last.ReturningBuyers == 1 {
			return name + ": 1 buyer, who had bought before."
		}
		return name + ": 1 buyer, buying for the first time."
	}
	return fmt.Sprintf("%s: %d buyers, %d of them (%s) had bought before.", name, last.Buyers, last.ReturningBuyers,
		last.RepeatPercent())
}

// RepeatPercent is the month's repeat rate for people ("78.9%", "-" without buyers), from its
// buyers and returning buyers: every place that shows the rate shows it so, and the same numbers
// always read the same. (The JSON's repeat_rate is already rounded to four places: rounding it
// again to one would turn 0.78947 into 79.0% where the counts give 78.9%.)
func (m MonthFigures) RepeatPercent() string {
	if m.Buyers == 0 {
		return "-"
	}
	return percent(float64(m.ReturningBuyers) / float64(m.Buyers))
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func ratePct(r *float64) string {
	if r == nil {
		return "-"
	}
	return percent(*r)
}

func money(m *Money) string {
	if m == nil {
		return "-"
	}
	return m.StringFixed(2)
}

// WriteText prints the report for people: the answer first, then the tables.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString(r.Headline() + "\n\n")
	p := r.Period
	fmt.Fprintf(&b, "%s to %s, months in %s, money in %s.\n\n", p.From, p.To, p.Timezone, p.Currency)

	b.WriteString("Buyers by month\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "month\tbuyers\treturning\trepeat rate\torders\trevenue\treturning revenue\t\n")
	other := false
	for _, m := range r.Months {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t\n", m.Month, m.Buyers, m.ReturningBuyers, m.RepeatPercent(), m.Orders,
			m.Revenue.StringFixed(2), m.ReturningRevenue.StringFixed(2))
		other = other || len(m.OtherCurrencies) > 0
	}
	tw.Flush()
	if other {
		b.WriteString("\nOrders in other currencies: among the orders above, never added to the revenue\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "month\tcurrency\torders\trevenue\t\n")
		for _, m := range r.Months {
			for _, c := range m.OtherCurrencies {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t\n", m.Month, c.Currency, c.Orders, c.Revenue.StringFixed(2))
			}
		}
		tw.Flush()
	}

	s := r.TimeToSecondOrder
	if s.Customers == 0 {
		b.WriteString("\nTime to a second order: no customer placed a second order in the period.\n")
	} else {
		fmt.Fprintf(&b, "\nTime to a second order: median %.1f days (a quarter within %.1f, three quarters within %.1f), %d customers.\n",
			*s.MedianDays, *s.P25Days, *s.P75Days, s.Customers)
	}

	if len(r.Cohorts) > 0 {
		b.WriteString("\nCohorts: the share of each month's new customers who bought again k months later\n")
		writeCohorts(&b, r.Cohorts, func(c Cohort, k int) string { return percent(c.Retention[k]) })
		fmt.Fprintf(&b, "\nLifetime value: net revenue per customer through month k (%s)\n", p.Currency)
		writeCohorts(&b, r.Cohorts, func(c Cohort, k int) string { return c.CLV[k].StringFixed(2) })
	}

	if len(r.Flows) > 0 {
		fmt.Fprintf(&b, "\nFlows: conversion of the customers reached against the holdout (without a goal: a counted order within %s)\n", p.Window)
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "flow\tconverts on\tjourneys\tholdout\tconverted\trate\tholdout rate\tlift\t95%% interval\trevenue/journey\tholdout\t\n")
		for _, f := range r.Flows {
			l, ci := "-", "no holdout"
			if f.Lift != nil {
				l = fmt.Sprintf("%+.1f pts", 100*f.Lift.Absolute)
				ci = fmt.Sprintf("%+.1f to %+.1f", 100*f.Lift.CI95[0], 100*f.Lift.CI95[1])
			} else if f.Journeys.Holdout > 0 {
				ci = "no treatment"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d / %d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Flow, f.ConvertsOn, f.Journeys.Treatment, f.Journeys.Holdout,
				f.Converted.Treatment, f.Converted.Holdout, ratePct(f.Rate.Treatment), ratePct(f.Rate.Holdout), l, ci,
				money(f.RevenuePerJourney.Treatment), money(f.RevenuePerJourney.Holdout))
		}
		tw.Flush()
		for _, f := range r.Flows {
			if len(f.Messages) == 0 && len(f.Skipped) == 0 {
				continue
			}
			fmt.Fprintf(&b, "  %s: messages %s; skipped %s\n", f.Flow, counts(f.Messages), counts(f.Skipped))
		}
	}

	if len(r.NPS) > 0 {
		b.WriteString("\nNet promoter score\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "month\tresponses\tpromoters\tpassives\tdetractors\tscore\t\n")
		for _, n := range r.NPS {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t\n", n.Month, n.Responses, n.Promoters, n.Passives, n.Detractors, n.Score)
		}
		tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCohorts(b *strings.Builder, cs []Cohort, cell func(Cohort, int) string) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := 0
	for _, c := range cs {
		width = max(width, len(c.Retention))
	}
	fmt.Fprintf(tw, "cohort\tcustomers\t")
	for k := 0; k < width; k++ {
		fmt.Fprintf(tw, "%d\t", k)
	}
	fmt.Fprintln(tw)
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%d\t", c.Cohort, c.Customers)
		for k := range c.Retention {
			fmt.Fprintf(tw, "%s\t", cell(c, k))
		}
		for k := len(c.Retention); k < width; k++ {
			fmt.Fprintf(tw, "\t")
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// counts writes a map as "email 300, sms 20", largest first; "none" when empty.
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
		name := k
		if name == "" {
			name = "(no reason)"
		}
		parts[i] = fmt.Sprintf("%s %d", name, m[k])
	}
	return strings.Join(parts, ", ")
}

// WriteJSON prints the report as its JSON contract, indented.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := jsonEncoder(w)
	return enc.Encode(r)
}
