package dsl

import (
	"fmt"
	"sync"

	"github.com/afterglowhq/afterglow/dsl/schemacheck"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/schemas"
)

var (
	checkersOnce sync.Once
	checkers     map[string]*schemacheck.Checker
	checkersErr  error
)

// checker returns the compiled checker of an embedded schema. The schemas are part of the binary,
// so a failure here is a bug, reported once as an error on every file.
func checker(name string) (*schemacheck.Checker, error) {
	checkersOnce.Do(func() {
		checkers = map[string]*schemacheck.Checker{}
		for _, n := range []string{schemas.Flow, schemas.Template, schemas.Config, schemas.Test, schemas.Catalog} {
			c, err := schemacheck.Compile(schemas.ID(n), map[string][]byte{schemas.ID(n): schemas.Bytes(n)}, formats)
			if err != nil {
				checkersErr = err
				return
			}
			checkers[n] = c
		}
	})
	return checkers[name], checkersErr
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// formats says, for each pattern the schemas use, what its values are called, the code a value
// that does not fit gets (the one the parser of such values uses), and why it does not fit, in
// the words of that parser.
var formats = map[string]schemacheck.Format{
	schemas.DurationPattern: {Code: "duration", Noun: "a duration (3d, 90m, 2w)",
		Explain: func(s string) string { _, err := timespec.ParseDuration(s); return errText(err) }},
	schemas.OffsetPattern: {Code: "duration", Noun: "an offset (-3d, 2h)",
		Explain: func(s string) string { _, err := timespec.ParseOffset(s); return errText(err) }},
	schemas.CompoundPattern: {Code: "duration", Noun: "an offset from start (0s, 2d12h)",
		Explain: func(s string) string { _, err := timespec.ParseCompound(s); return errText(err) }},
	schemas.TimeOfDayPattern: {Code: "time-of-day", Noun: `a time of day ("10:00")`,
		Explain: func(s string) string { _, err := timespec.ParseTimeOfDay(s); return errText(err) }},
	schemas.PercentPattern: {Code: "percentage", Noun: `a percentage ("10%")`, Explain: func(s string) string {
		if _, err := timespec.ParsePercent(s); err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%q: use at most two decimals, like \"2.5%%\"", s)
	}},
	schemas.IDPattern: {Code: "id-format", Noun: "an id (thank-you-nps)", Explain: kebabMessage},
	schemas.EventTypePattern: {Code: "event-type", Noun: "an event type (order.placed)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not an event type: use dot-separated lowercase words, like order.placed or review.submitted", s)
	}},
	schemas.LocalePattern: {Code: "locale", Noun: "a locale (es, es-PE)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a locale: use a language code, optionally with a region, like es, es-PE or pt-BR", s)
	}},
	schemas.TimeZonePattern: {Code: "timezone", Noun: "an IANA time zone (America/Lima)",
		Explain: func(s string) string { _, err := timespec.LoadLocation(s); return errText(err) }},
	schemas.CronPattern: {Code: "cron", Noun: `a cron expression ("0 10 * * *")`,
		Explain: func(s string) string { _, err := timespec.ParseCron(s); return errText(err) }},
	schemas.DateTimePattern: {Code: "moment", Noun: "an RFC 3339 date and time (2025-11-23T10:00:00-05:00)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a moment: write it in RFC 3339 with its offset, like 2025-11-23T10:00:00-05:00", s)
	}},
	schemas.ChannelPattern: {Noun: "a channel name (email)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a channel name: use lowercase letters, digits, _ and -, starting with a letter", s)
	}},
	schemas.NamePattern: {Noun: "a name (survey_url)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a name: use letters, digits and _, starting with a letter (it becomes a template variable)", s)
	}},
	schemas.PhonePattern: {Noun: "a phone number in E.164 (+51987654321)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a phone number in E.164 form: a + and the country code, digits only, like +51987654321", s)
	}},
	schemas.ListenPattern: {Noun: "a host and port (127.0.0.1:8080)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not an address to listen on: write host:port, like 127.0.0.1:8080 or :8080", s)
	}},
	schemas.CurrencyPattern: {Noun: "a currency code (PEN)", Explain: func(s string) string {
		return fmt.Sprintf("%q is not a currency: use its ISO 4217 code in capitals, like PEN, EUR or USD", s)
	}},
	schemas.URLPattern: {Noun: "an http(s) URL", Explain: func(s string) string {
		return fmt.Sprintf("%q is not an http or https URL, like https://shop.example", s)
	}},
}
