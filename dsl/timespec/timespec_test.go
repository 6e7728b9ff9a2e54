package timespec

import (
	"strings"
	"testing"
	"time"
)

func TestDurations(t *testing.T) {
	good := map[string]time.Duration{"3d": 72 * time.Hour, "90m": 90 * time.Minute, "2w": 14 * 24 * time.Hour, "0s": 0, "36h": 36 * time.Hour}
	for s, want := range good {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
		if FormatDuration(got) != s && s != "36h" && s != "90m" {
			t.Errorf("FormatDuration(%v) = %q", got, FormatDuration(got))
		}
	}
	bad := map[string]string{"3 days": "write 3d", "1mo": "months", "1y": "years", "d": "integer", "3": "integer", "-3d": "takes no sign, it always counts forward; write 3d", "+2h": "write 2h", "2d12h": "integer", "": "empty", "99999999999999d": "too long"}
	for s, hint := range bad {
		_, err := ParseDuration(s)
		if err == nil || !strings.Contains(err.Error(), hint) {
			t.Errorf("ParseDuration(%q) error %v, want mention of %q", s, err, hint)
		}
	}
	if d, err := ParseOffset("-3d"); err != nil || d != -72*time.Hour {
		t.Errorf("ParseOffset(-3d) = %v %v", d, err)
	}
	if d, err := ParseCompound("2d12h"); err != nil || d != 60*time.Hour {
		t.Errorf("ParseCompound = %v %v", d, err)
	}
}

func TestTimeOfDayWeekdayPercent(t *testing.T) {
	if tod, err := ParseTimeOfDay("09:30"); err != nil || tod.Minutes() != 570 {
		t.Errorf("09:30 = %v %v", tod, err)
	}
	for _, s := range []string{"9:30", "24:00", "10:60", "10h00", "10:00:00"} {
		if _, err := ParseTimeOfDay(s); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", s)
		}
	}
	if d, err := ParseWeekday("Mon"); err != nil || d != time.Monday {
		t.Errorf("Mon = %v %v", d, err)
	}
	if _, err := ParseWeekday("monday"); err == nil {
		t.Error("monday accepted")
	}
	if p, err := ParsePercent("2.5%"); err != nil || p != 0.025 {
		t.Errorf("2.5%% = %v %v", p, err)
	}
	for _, s := range []string{"10", "101%", "-1%", "1e1%"} {
		if _, err := ParsePercent(s); err == nil {
			t.Errorf("ParsePercent(%q) accepted", s)
		}
	}
}

func TestLocations(t *testing.T) {
	if _, err := LoadLocation("America/Lima"); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"EST":            `abbreviation, not an IANA time zone, and ignores daylight saving: use a place, like "America/New_York"`,
		"cet":            `like "Europe/Rome"`,
		"America/Lma":    `(did you mean "America/Lima"?)`,
		"europe/rome":    `(did you mean "Europe/Rome"?)`,
		"Lima":           `(did you mean "America/Lima"?)`,
		"new york":       `(did you mean "America/New_York"?)`,
		"Mars/Olympus":   `not a known IANA time zone: use a name like`,
		"":               "empty time zone",
		"Local":          `use a name like "America/Lima"`,
		"Nowhere":        `use a name like "America/Lima"`,
		"America/Lima/x": "not a known IANA time zone",
	}
	for s, want := range cases {
		_, err := LoadLocation(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadLocation(%q) error %v; want it to contain %q", s, err, want)
		}
	}
}

// The suggestion list must name only zones that load, or a suggestion would itself be refused.
func TestZoneNamesLoad(t *testing.T) {
	if len(zones()) < 400 {
		t.Fatalf("only %d zone names", len(zones()))
	}
	for _, z := range append(zones(), func() []string {
		var out []string
		for _, v := range abbreviations {
			out = append(out, v)
		}
		return out
	}()...) {
		if _, err := LoadLocation(z); err != nil {
			t.Errorf("%s: %v", z, err)
		}
	}
}

func TestDurationMessages(t *testing.T) {
	cases := []struct {
		parse func(string) (time.Duration, error)
		in    string
		want  string
	}{
		{ParseDuration, "-3d", `"-3d": this duration takes no sign, it always counts forward; write 3d`},
		{ParseCompound, "-1d", "write 1d"},
		{ParseDuration, "3 days", `"3 days" is not a duration: write 3d, a number and one letter`},
		{ParseCompound, "30days", "write 30d"},
		{ParseDuration, "2 Weeks", "write 2w"},
		{ParseOffset, "-3 days", "write -3d"},
		{ParseDuration, "90 mins", "write 90m"},
		{ParseDuration, "3 fortnights", "without spaces (3d, 90m, 2w)"},
		{ParseOffset, "3 days before", "write -3d"},
		{ParseOffset, "2 hours after", "write 2h"},
		{ParseDuration, "3 days after", "write 3d"},
		{ParseOffset, "3 days sooner", "without spaces (-3d, 2h, 1w)"},
		{ParseOffset, "-1mo", "months vary in length"},
		{ParseOffset, "-x", "(-3d, 2h, 1w)"},
	}
	for _, c := range cases {
		_, err := c.parse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v; want it to contain %q", c.in, err, c.want)
		}
	}
	_, err := ParseTimeOfDay("9:30")
	if err == nil || !strings.Contains(err.Error(), `two digits, "09:30"`) {
		t.Errorf("9:30: %v", err)
	}
}

func TestCronNext(t *testing.T) {
	rome, _ := LoadLocation("Europe/Rome")
	lima, _ := LoadLocation("America/Lima")
	kolkata, _ := LoadLocation("Asia/Kolkata")
	cases := []struct {
		expr string
		from string
		loc  *time.Location
		want string
	}{
		{"0 10 * * *", "2025-11-23T09:00:00-05:00", lima, "2025-11-23T10:00:00-05:00"},
		{"0 10 * * *", "2025-11-23T10:00:00-05:00", lima, "2025-11-24T10:00:00-05:00"},
		{"0 10 1 * *", "2025-11-23T00:00:00+01:00", rome, "2025-12-01T10:00:00+01:00"},
		{"*/15 9-17 * * mon-fri", "2025-11-22T12:00:00+01:00", rome, "2025-11-24T09:00:00+01:00"},
		// 02:30 does not exist on 30 March in Rome: it fires when the clocks have jumped, at 03:00.
		{"30 2 * * *", "2025-03-29T12:00:00+01:00", rome, "2025-03-30T03:00:00+02:00"},
		{"30 2 * * *", "2025-03-30T03:00:00+02:00", rome, "2025-03-31T02:30:00+02:00"},
		// 02:30 happens twice on 26 October in Rome: it fires at the first.
		{"30 2 * * *", "2025-10-25T12:00:00+02:00", rome, "2025-10-26T02:30:00+02:00"},
		{"30 2 * * *", "2025-10-26T02:30:00+02:00", rome, "2025-10-27T02:30:00+01:00"},
		{"30 2 * * *", "2025-10-26T02:10:00+01:00", rome, "2025-10-27T02:30:00+01:00"}, // during the repeated hour
		{"0 0 29 2 *", "2025-01-01T00:00:00Z", time.UTC, "2028-02-29T00:00:00Z"},
		{"0 10 * * *", "2025-11-23T09:00:00+05:30", kolkata, "2025-11-23T10:00:00+05:30"}, // a half-hour offset
		{"0 12 13 * fri", "2025-06-01T00:00:00Z", time.UTC, "2025-06-06T12:00:00Z"},       // either day field fires
		{"@monthly", "2025-06-15T00:00:00Z", time.UTC, "2025-07-01T00:00:00Z"},
	}
	for _, c := range cases {
		cr, err := ParseCron(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		from, _ := time.Parse(time.RFC3339, c.from)
		want, _ := time.Parse(time.RFC3339, c.want)
		if got := cr.Next(from, c.loc); !got.Equal(want) {
			t.Errorf("%s from %s = %s, want %s", c.expr, c.from, got.Format(time.RFC3339), c.want)
		}
	}
	// Across both nights of the year, in zones ahead of and behind UTC and with a half-hour
	// change, a daily schedule fires exactly once on every local day.
	for _, z := range []struct{ zone, expr string }{
		{"Europe/Rome", "30 2 * * *"}, {"America/New_York", "30 1 * * *"}, {"America/New_York", "0 2 * * *"},
		{"Australia/Lord_Howe", "45 1 * * *"}, {"Australia/Lord_Howe", "15 2 * * *"}, {"Europe/Rome", "*/20 2 * * *"},
	} {
		loc, err := LoadLocation(z.zone)
		if err != nil {
			t.Fatal(err)
		}
		cr, _ := ParseCron(z.expr)
		perDay := 1
		if z.expr == "*/20 2 * * *" {
			perDay = 3
		}
		count := map[string]int{}
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
		for at.Year() == 2025 {
			at = cr.Next(at, loc)
			count[at.In(loc).Format("2006-01-02")]++
		}
		days := 0
		for d := time.Date(2025, 1, 1, 12, 0, 0, 0, loc); d.Year() == 2025; d = d.AddDate(0, 0, 1) {
			days++
			n := count[d.Format("2006-01-02")]
			if n != perDay && !(perDay == 3 && n == 1 && springNight(d, loc)) {
				t.Errorf("%s in %s fired %d times on %s; want %d", z.expr, z.zone, n, d.Format("2006-01-02"), perDay)
			}
		}
		if days != 365 {
			t.Fatalf("walked %d days", days)
		}
	}
	for _, bad := range []string{"0 10 * *", "60 * * * *", "0 10 * * 8", "0 10 * foo *", "*/0 * * * *", "5-1 * * * *"} {
		if _, err := ParseCron(bad); err == nil {
			t.Errorf("ParseCron(%q) accepted", bad)
		}
	}
}

// springNight reports whether the clocks jump forward on day d in loc: times in the jump all
// fire at its end, once.
func springNight(d time.Time, loc *time.Location) bool {
	_, a := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Zone()
	_, b := time.Date(d.Year(), d.Month(), d.Day(), 23, 0, 0, 0, loc).Zone()
	return b > a
}
