// Package timespec reads the small time languages of flows: durations (`3d`), signed offsets
// (`-3d`), times of day (`10:00`), weekdays, percentages, and time zones.
package timespec

import (
	_ "embed"
	_ "time/tzdata" // time zones must resolve on machines without a zoneinfo database

	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

var units = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour,
}

// maxCount keeps every duration well inside time.Duration's range (about 292 years).
const maxCount = 100 * 365 * 24 * 3600

// ParseDuration reads an integer and a unit (s m h d w): `3d`, `90m`, `2w`. There are no months or
// years because their length varies; the error says to count days.
func ParseDuration(s string) (time.Duration, error) {
	return parse(s, false, false)
}

// ParseOffset is ParseDuration with an optional sign: `-3d`, `+2h`.
func ParseOffset(s string) (time.Duration, error) {
	return parse(s, true, false)
}

// ParseCompound reads one or more duration terms in a row, `2d12h`; scenario tests use it for
// offsets from the start of the virtual clock.
func ParseCompound(s string) (time.Duration, error) {
	return parse(s, false, true)
}

func parse(s string, signed, compound bool) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration: write a number and a unit, like 3d")
	}
	neg := false
	if signed && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var total time.Duration
	terms := 0
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, durationError(orig, signed)
		}
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n > maxCount {
			return 0, fmt.Errorf("duration %q is too long", orig)
		}
		u, ok := units[s[i]]
		if !ok {
			return 0, durationError(orig, signed)
		}
		total += time.Duration(n) * u
		s = s[i+1:]
		terms++
		if !compound && s != "" {
			return 0, durationError(orig, signed)
		}
	}
	if terms == 0 {
		return 0, durationError(orig, signed)
	}
	if neg {
		total = -total
	}
	return total, nil
}

var wordUnit = regexp.MustCompile(`^([-+]?)([0-9]+)\s*([A-Za-z]+)(?:\s+(before|after|earlier|later))?$`)

// unitWords are the ways people spell the units out.
var unitWords = map[string]byte{
	"s": 's', "sec": 's', "secs": 's', "second": 's', "seconds": 's',
	"min": 'm', "mins": 'm', "minute": 'm', "minutes": 'm',
	"h": 'h', "hr": 'h', "hrs": 'h', "hour": 'h', "hours": 'h',
	"d": 'd', "day": 'd', "days": 'd', "w": 'w', "wk": 'w', "week": 'w', "weeks": 'w',
}

func durationError(s string, signed bool) error {
	lower := strings.ToLower(s)
	examples := "3d, 90m, 2w"
	if signed {
		examples = "-3d, 2h, 1w"
	}
	t := strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(lower, "mo") || strings.Contains(lower, "month"):
		return fmt.Errorf("%q: months vary in length, so durations have no month unit; count days instead (30d)", s)
	case strings.HasSuffix(lower, "y") || strings.Contains(lower, "year"):
		return fmt.Errorf("%q: years have no unit; count days instead (365d)", s)
	case !signed && t != "" && (t[0] == '-' || t[0] == '+'):
		if _, err := parse(t[1:], false, true); err == nil {
			return fmt.Errorf("%q: this duration takes no sign, it always counts forward; write %s", s, t[1:])
		}
	}
	if m := wordUnit.FindStringSubmatch(t); m != nil {
		if u, ok := unitWords[strings.ToLower(m[3])]; ok {
			sign := m[1]
			if signed && sign == "" && (strings.EqualFold(m[4], "before") || strings.EqualFold(m[4], "earlier")) {
				sign = "-" // "3 days before" a birthday
			}
			return fmt.Errorf("%q is not a duration: write %s%s%c, a number and one letter for the unit (s, m, h, d or w), without spaces", s, sign, m[2], u)
		}
	}
	if strings.Contains(s, " ") {
		return fmt.Errorf("%q is not a duration: write the number and the unit together, without spaces (%s)", s, examples)
	}
	return fmt.Errorf("%q is not a duration: write an integer and a unit s, m, h, d or w (%s)", s, examples)
}

// FormatDuration writes d in the largest unit that divides it exactly, the inverse of ParseDuration.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'w', units['w']}, {'d', units['d']}, {'h', time.Hour}, {'m', time.Minute}} {
		if d%u.d == 0 {
			return fmt.Sprintf("%s%d%c", sign, d/u.d, u.c)
		}
	}
	return fmt.Sprintf("%s%ds", sign, d/time.Second)
}

// TimeOfDay is a wall-clock time in some time zone, minutes after midnight.
type TimeOfDay struct {
	Hour, Minute int
}

// ParseTimeOfDay reads "HH:MM" on a 24-hour clock.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	var t TimeOfDay
	if len(s) == 4 && s[1] == ':' && s[0] >= '0' && s[0] <= '9' {
		return t, fmt.Errorf("%q is not a time of day: write the hour with two digits, %q", s, "0"+s)
	}
	if len(s) != 5 || s[2] != ':' {
		return t, fmt.Errorf("%q is not a time of day: write HH:MM on a 24-hour clock, like \"10:00\" or \"21:30\"", s)
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return t, fmt.Errorf("%q is not a time of day: hours go from 00 to 23 and minutes from 00 to 59", s)
	}
	return TimeOfDay{h, m}, nil
}

// Minutes is the number of minutes after midnight.
func (t TimeOfDay) Minutes() int { return t.Hour*60 + t.Minute }

func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// On returns that time of day on the date of d in loc.
func (t TimeOfDay) On(d time.Time, loc *time.Location) time.Time {
	y, mo, da := d.In(loc).Date()
	return time.Date(y, mo, da, t.Hour, t.Minute, 0, 0, loc)
}

// Weekdays are the names `days:` accepts, in Go's Sunday-first order.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeekday reads a three-letter weekday name.
func ParseWeekday(s string) (time.Weekday, error) {
	for i, w := range Weekdays {
		if strings.EqualFold(s, w) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("%q is not a weekday: use mon, tue, wed, thu, fri, sat or sun", s)
}

// ParsePercent reads "10%" or "2.5%" as a fraction between 0 and 1.
func ParsePercent(s string) (float64, error) {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage: write a number followed by %%, like \"10%%\"", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f > 100 || strings.ContainsAny(num, "eE+-") {
		return 0, fmt.Errorf("%q is not a percentage between 0%% and 100%%", s)
	}
	return f / 100, nil
}

// zoneNames are the IANA names with a slash that Go's time zone database knows (aliases included),
// one a line, for suggesting the name a misspelt one was meant to be. TestZoneNamesLoad keeps the
// list in step with the database.
//
//go:embed zones.txt
var zoneNames string

var zones = sync.OnceValue(func() []string { return strings.Fields(zoneNames) })

// abbreviations map the zone abbreviations people write to a place that keeps that time.
var abbreviations = map[string]string{
	"EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York",
	"CST": "America/Chicago", "CDT": "America/Chicago", "MST": "America/Denver", "MDT": "America/Denver",
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
	"GMT": "Europe/London", "BST": "Europe/London", "WET": "Europe/Lisbon", "CET": "Europe/Rome", "CEST": "Europe/Rome",
	"EET": "Europe/Athens", "MSK": "Europe/Moscow", "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "KST": "Asia/Seoul",
	"AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "PET": "America/Lima", "COT": "America/Bogota",
	"BRT": "America/Sao_Paulo", "ART": "America/Argentina/Buenos_Aires", "CLT": "America/Santiago",
}

// suggestZone returns a known zone name that name was probably meant to be, or "".
func suggestZone(name string) string {
	if z, ok := abbreviations[strings.ToUpper(name)]; ok {
		return z
	}
	if !strings.Contains(name, "/") {
		// A city alone: Lima, new york.
		city := strings.ReplaceAll(strings.ToLower(name), " ", "_")
		for _, z := range zones() {
			if strings.ToLower(z[strings.LastIndexByte(z, '/')+1:]) == city {
				return z
			}
		}
		return ""
	}
	return diag.Closest(name, zones())
}

// LoadLocation reads an IANA time zone name. Abbreviations such as "EST" and fixed offsets are
// refused: they ignore daylight saving, so a 10:00 message would drift to 09:00 half the year.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("empty time zone: use an IANA name like \"America/Lima\"")
	}
	if name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" || !strings.Contains(name, "/") {
		if z := suggestZone(name); z != "" && abbreviations[strings.ToUpper(name)] != "" {
			return nil, fmt.Errorf("%q is an abbreviation, not an IANA time zone, and ignores daylight saving: use a place, like %q", name, z)
		} else if z != "" {
			return nil, fmt.Errorf("%q is not an IANA time zone (did you mean %q?)", name, z)
		}
		return nil, fmt.Errorf("%q is not an IANA time zone: use a name like \"America/Lima\" or \"Europe/Rome\" (or \"UTC\")", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if z := suggestZone(name); z != "" {
			return nil, fmt.Errorf("%q is not a known IANA time zone (did you mean %q?)", name, z)
		}
		return nil, fmt.Errorf("%q is not a known IANA time zone: use a name like \"America/Lima\" or \"Europe/Rome\"", name)
	}
	return loc, nil
}
