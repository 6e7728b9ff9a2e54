package timespec

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed five-field cron expression: minute, hour, day of month, month, day of week.
type Cron struct {
	src                           string
	minute, hour, dom, month, dow uint64 // bit sets
	domStar, dowStar              bool
}

var cronFields = []struct {
	name     string
	min, max int
	names    []string
}{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

var cronMacros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// ParseCron reads "0 10 * * *"-style expressions (and @daily, @weekly, @monthly, @yearly, @hourly).
func ParseCron(s string) (*Cron, error) {
	src := strings.TrimSpace(s)
	expr := src
	if m, ok := cronMacros[strings.ToLower(expr)]; ok {
		expr = m
	}
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron %q has %d fields; it needs 5: minute hour day-of-month month day-of-week, like \"0 10 * * *\"", s, len(parts))
	}
	c := &Cron{src: src}
	sets := []*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, p := range parts {
		f := cronFields[i]
		bits, err := parseCronField(p, f.min, f.max, f.names)
		if err != nil {
			return nil, fmt.Errorf("cron %q, %s field: %v", s, f.name, err)
		}
		*sets[i] = bits
	}
	if c.dow&(1<<7) != 0 { // 7 is Sunday too
		c.dow |= 1
	}
	c.domStar = parts[2] == "*" || parts[2] == "?"
	c.dowStar = parts[4] == "*" || parts[4] == "?"
	return c, nil
}

func parseCronField(s string, lo, hi int, names []string) (uint64, error) {
	var bits uint64
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("step %q must be a positive number", stepS)
			}
			step = n
		}
		var from, to int
		switch {
		case rng == "*" || rng == "?":
			from, to = lo, hi
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if from, err = cronValue(a, lo, hi, names); err != nil {
				return 0, err
			}
			to = from
			if isRange {
				if to, err = cronValue(b, lo, hi, names); err != nil {
					return 0, err
				}
				if to < from {
					return 0, fmt.Errorf("range %q runs backwards", rng)
				}
			} else if hasStep {
				to = hi
			}
		}
		for v := from; v <= to; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, nil
}

func cronValue(s string, lo, hi int, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			if lo == 1 {
				return i + 1, nil
			}
			return i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%d is outside %d-%d", v, lo, hi)
	}
	return v, nil
}

func (c *Cron) String() string { return c.src }

// Next returns the first moment strictly after t at which the expression fires in loc.
//
// A cron names wall-clock times, and daylight saving makes some of them happen twice and others
// never: each wall-clock time fires once. A time the clocks go back over (02:30 on an autumn
// night in Rome) fires at its first occurrence only; a time the clocks jump over (02:30 on a
// spring night) fires at the first moment after the jump (03:00), so that a daily schedule fires
// once on every local day.
func (c *Cron) Next(t time.Time, loc *time.Location) time.Time {
	// Wall-clock time is walked as civil fields in UTC, which has no jumps; each matching one is
	// then placed in loc.
	w := civil(t.In(loc))
	limit := w.AddDate(5, 0, 0)
	for w.Before(limit) {
		switch {
		case c.month&(1<<uint(w.Month())) == 0:
			w = time.Date(w.Year(), w.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.dayMatches(w):
			w = time.Date(w.Year(), w.Month(), w.Day()+1, 0, 0, 0, 0, time.UTC)
		case c.hour&(1<<uint(w.Hour())) == 0:
			w = w.Truncate(time.Hour).Add(time.Hour)
		case c.minute&(1<<uint(w.Minute())) == 0:
			w = w.Add(time.Minute)
		default:
			if at := wallMoment(w, loc); at.After(t) {
				return at
			}
			w = w.Add(time.Minute)
		}
	}
	return time.Time{}
}

// wallMoment places the wall-clock time w (civil fields, in UTC) in loc: when it happens twice,
// its first occurrence; when it never happens, the first moment after the clocks jumped over it.
func wallMoment(w time.Time, loc *time.Location) time.Time {
	t := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc)
	start, end := t.ZoneBounds()
	if !sameWall(t, w) {
		// Skipped: Go moved it out of the jump, to one side or the other; the jump is where the
		// period it landed in ends, or begins.
		if civil(t).Before(w) {
			return end.In(loc)
		}
		return start.In(loc)
	}
	if !start.IsZero() {
		// The same wall time under the offset of the period before, when that is still before
		// this period began, is an earlier occurrence.
		_, before := start.Add(-time.Second).Zone()
		if e := w.Add(-time.Duration(before) * time.Second); e.Before(start) && sameWall(e.In(loc), w) {
			return e.In(loc)
		}
	}
	return t
}

// civil is t's wall-clock time to the minute, as civil fields in UTC.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
}

func sameWall(t, w time.Time) bool { return civil(t).Equal(w) }

// Standard cron: when both day fields are restricted, a day matching either one fires.
func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}
