package insighttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Contract checks a report's JSON against the contract other tools read: every key present with
// its JSON type, money as a string with two places, rates as numbers of at most four places, lift
// null where a flow has no holdout and otherwise an interval of two numbers. Keys may be added,
// so unknown ones are allowed.
func Contract(t testing.TB, doc []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("the report is not JSON: %v", err)
	}
	c := &contract{t: t}
	r := c.object("", v)
	p := c.object("period", c.get(r, "period"))
	for _, k := range []string{"from", "to", "timezone", "currency"} {
		c.str("period."+k, c.get(p, k))
	}
	for i, m := range c.array("months", c.get(r, "months")) {
		at := fmt.Sprintf("months[%d]", i)
		o := c.object(at, m)
		c.str(at+".month", c.get(o, "month"))
		c.integer(at+".buyers", c.get(o, "buyers"))
		c.integer(at+".returning_buyers", c.get(o, "returning_buyers"))
		c.orNull(at+".repeat_rate", c.get(o, "repeat_rate"), c.rate)
		c.integer(at+".orders", c.get(o, "orders"))
		c.money(at+".revenue", c.get(o, "revenue"))
		c.money(at+".returning_revenue", c.get(o, "returning_revenue"))
	}
	s := c.object("time_to_second_order", c.get(r, "time_to_second_order"))
	c.integer("time_to_second_order.customers", c.get(s, "customers"))
	for _, k := range []string{"median_days", "p25_days", "p75_days"} {
		c.orNull("time_to_second_order."+k, c.get(s, k), c.number)
	}
	for i, co := range c.array("cohorts", c.get(r, "cohorts")) {
		at := fmt.Sprintf("cohorts[%d]", i)
		o := c.object(at, co)
		c.str(at+".cohort", c.get(o, "cohort"))
		c.integer(at+".customers", c.get(o, "customers"))
		for k, x := range c.array(at+".retention", c.get(o, "retention")) {
			c.rate(fmt.Sprintf("%s.retention[%d]", at, k), x)
		}
		for k, x := range c.array(at+".clv", c.get(o, "clv")) {
			c.money(fmt.Sprintf("%s.clv[%d]", at, k), x)
		}
	}
	for i, f := range c.array("flows", c.get(r, "flows")) {
		at := fmt.Sprintf("flows[%d]", i)
		o := c.object(at, f)
		c.str(at+".flow", c.get(o, "flow"))
		journeys := c.arms(at+".journeys", c.get(o, "journeys"), c.integer)
		c.arms(at+".converted", c.get(o, "converted"), c.integer)
		c.arms(at+".rate", c.get(o, "rate"), func(w string, x any) { c.orNull(w, x, c.rate) })
		c.arms(at+".revenue_per_journey", c.get(o, "revenue_per_journey"), func(w string, x any) { c.orNull(w, x, c.money) })
		for _, k := range []string{"messages", "skipped"} {
			for key, n := range c.object(at+"."+k, c.get(o, k)) {
				c.integer(at+"."+k+"."+key, n)
			}
		}
		lift := c.get(o, "lift")
		if journeys["holdout"] == "0" || journeys["treatment"] == "0" {
			if lift != nil {
				t.Errorf("%s.lift: %v, want null: an arm has no journeys", at, lift)
			}
			continue
		}
		l := c.object(at+".lift", lift)
		c.rate(at+".lift.absolute", c.get(l, "absolute"))
		c.orNull(at+".lift.relative", c.get(l, "relative"), c.rate)
		ci := c.array(at+".lift.ci95", c.get(l, "ci95"))
		if len(ci) != 2 {
			t.Errorf("%s.lift.ci95: %d numbers, want 2", at, len(ci))
		}
		for k, x := range ci {
			c.rate(fmt.Sprintf("%s.lift.ci95[%d]", at, k), x)
		}
	}
	for i, n := range c.array("nps", c.get(r, "nps")) {
		at := fmt.Sprintf("nps[%d]", i)
		o := c.object(at, n)
		c.str(at+".month", c.get(o, "month"))
		for _, k := range []string{"responses", "promoters", "passives", "detractors"} {
			c.integer(at+"."+k, c.get(o, k))
		}
		c.number(at+".score", c.get(o, "score"))
	}
}

type contract struct{ t testing.TB }

var (
	moneyText   = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)
	integerText = regexp.MustCompile(`^-?[0-9]+$`)
)

func (c *contract) fail(at string, v any, want string) {
	c.t.Helper()
	c.t.Errorf("%s: %#v, want %s", at, v, want)
}

// get is a key of an object, which must be there (null is a value).
func (c *contract) get(o map[string]any, k string) any {
	c.t.Helper()
	v, ok := o[k]
	if !ok && o != nil {
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		c.t.Errorf("key %q missing from the object with keys %s", k, strings.Join(keys, ", "))
	}
	return v
}

func (c *contract) object(at string, v any) map[string]any {
	c.t.Helper()
	o, ok := v.(map[string]any)
	if !ok {
		c.fail(at, v, "an object")
	}
	return o
}

func (c *contract) array(at string, v any) []any {
	c.t.Helper()
	a, ok := v.([]any)
	if !ok {
		c.fail(at, v, "an array (empty rather than null)")
	}
	return a
}

func (c *contract) str(at string, v any) {
	c.t.Helper()
	if s, ok := v.(string); !ok || s == "" {
		c.fail(at, v, "a string")
	}
}

func (c *contract) money(at string, v any) {
	c.t.Helper()
	if s, ok := v.(string); !ok || !moneyText.MatchString(s) {
		c.fail(at, v, `money: a string with two places, "12345.60"`)
	}
}

func (c *contract) number(at string, v any) {
	c.t.Helper()
	if _, ok := v.(json.Number); !ok {
		c.fail(at, v, "a number")
	}
}

func (c *contract) integer(at string, v any) {
	c.t.Helper()
	if n, ok := v.(json.Number); !ok || !integerText.MatchString(n.String()) {
		c.fail(at, v, "a whole number")
	}
}

// rate is a number of at most four places.
func (c *contract) rate(at string, v any) {
	c.t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		c.fail(at, v, "a number")
		return
	}
	s := n.String()
	if strings.ContainsAny(s, "eE") {
		c.fail(at, v, "a rate written without an exponent")
		return
	}
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > 4 {
		c.fail(at, v, "a rate rounded to four places")
	}
}

func (c *contract) orNull(at string, v any, check func(string, any)) {
	c.t.Helper()
	if v != nil {
		check(at, v)
	}
}

// arms checks {"treatment": …, "holdout": …} and returns both as JSON text.
func (c *contract) arms(at string, v any, check func(string, any)) map[string]string {
	c.t.Helper()
	o := c.object(at, v)
	out := map[string]string{}
	for _, k := range []string{"treatment", "holdout"} {
		x, ok := o[k]
		if !ok {
			c.t.Errorf("%s.%s: missing", at, k)
			continue
		}
		check(at+"."+k, x)
		out[k] = fmt.Sprint(x)
	}
	return out
}
