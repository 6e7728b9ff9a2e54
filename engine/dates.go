package engine

import (
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event"
	"github.com/shopspring/decimal"
)

// refreshDates recomputes the customer's date triggers when the customer changed or was computed
// for another set of date flows. Computing them here, where the customer is locked and loaded
// anyway, keeps the timer query a single indexed look at customers.
func (b *batch) refreshDates(st *custState) {
	if !st.datesStale && st.c.DatesVersion == b.fs.datesVersion {
		return
	}
	st.datesStale = false
	st.c.Dates = nil
	for _, f := range b.fs.dateFlows {
		// Occurrences up to now have fired (fireDates runs before save), so only later ones count.
		if t, ok := b.nextDate(st, f, st.now); ok {
			if st.c.Dates == nil {
				st.c.Dates = map[string]time.Time{}
			}
			st.c.Dates[f.ID] = t
		}
	}
	st.c.DatesVersion = b.fs.datesVersion
}

// nextDate is the first occurrence strictly after `after` of the flow's yearly date for the
// customer: the date's month and day, at the trigger's time of day in the customer's time zone,
// moved by the offset. The year of the date itself never counts (an anniversary starts a year on).
func (b *batch) nextDate(st *custState, f *dsl.Flow, after time.Time) (time.Time, bool) {
	tr := f.Trigger
	base, err := tr.Date.Time(exprs.Vars{"customer": st.customer(b.fs.Workspace.Customer), "now": st.now})
	if err != nil || base.IsZero() {
		return time.Time{}, false
	}
	loc := location(st.c, b.fs.Settings.Location)
	// A plain date (a birthday) has no zone of its own: its day is the customer's day.
	if base.Location() != time.UTC || base.Hour() != 0 || base.Minute() != 0 {
		base = base.In(loc)
	}
	hh, mm := 0, 0
	if tr.AtTime != nil {
		hh, mm = tr.AtTime.Hour, tr.AtTime.Minute
	}
	start := after.In(loc).Year() - 1
	for y := start; y <= start+3; y++ {
		if y <= base.Year() {
			continue
		}
		day := base.Day()
		if base.Month() == time.February && day == 29 && !leap(y) {
			day = 28
		}
		// The offset moves the date by calendar days first, so "-3d at 10:00" is 10:00 local three
		// days before, even when the clocks change in between; what is left of it is added after.
		days := int(tr.Offset / (24 * time.Hour))
		t := time.Date(y, base.Month(), day+days, hh, mm, 0, 0, loc).Add(tr.Offset % (24 * time.Hour))
		if t.After(after) {
			return t, true
		}
	}
	return time.Time{}, false
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// fireDate enters a date flow whose occurrence has come, and moves to the next occurrence.
func (b *batch) fireDate(st *custState, f *dsl.Flow) {
	at := st.c.Dates[f.ID]
	trig := event.Event{
		SpecVersion: event.SpecVersion, ID: "date/" + f.ID + "/" + at.UTC().Format(time.RFC3339),
		Source: "afterglow", Type: "date", Subject: st.c.ID, Time: at,
	}
	b.enter(st, f, &trig, 0, trig.ID, false)
	if next, ok := b.nextDate(st, f, at); ok {
		st.c.Dates[f.ID] = next
	} else {
		delete(st.c.Dates, f.ID)
	}
	st.changed = true
}

// waitUntil computes when a wait_until step ends: the expression's time moved by the offset, then
// to the next allowed time of day and weekday in the customer's time zone. An unset time ends the
// wait at once.
func (b *batch) waitUntil(st *custState, j *store.Journey, f *dsl.Flow, step *dsl.Step) time.Time {
	w := step.WaitUntil
	t, err := w.Time.Time(b.vars(st, j, nil))
	if err != nil || t.IsZero() {
		if err != nil {
			b.e.log.Warn().Str("customer", st.c.ID).Str("flow", f.ID).Str("step", step.ID).Err(err).Msg("wait_until time failed to evaluate; not waiting")
		}
		return st.now
	}
	return NextAllowed(t.Add(w.Offset), w.At, w.Days, location(st.c, b.fs.Settings.Location))
}

// NextAllowed moves t to the first moment at or after it that is at the time of day (when given)
// on an allowed weekday (when given), in loc.
func NextAllowed(t time.Time, at *timespec.TimeOfDay, days []time.Weekday, loc *time.Location) time.Time {
	lt := t.In(loc)
	allowed := func(d time.Weekday) bool {
		if len(days) == 0 {
			return true
		}
		for _, x := range days {
			if x == d {
				return true
			}
		}
		return false
	}
	for i := 0; i < 8; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, 0, 0, 0, 0, loc)
		if !allowed(day.Weekday()) {
			continue
		}
		cand := lt
		if at != nil {
			cand = time.Date(day.Year(), day.Month(), day.Day(), at.Hour, at.Minute, 0, 0, loc)
		} else if i > 0 {
			cand = day
		}
		if !cand.Before(lt) {
			return cand
		}
	}
	return lt
}

// applyCustomerSeed sets the computed fields a scenario test or an import may give a customer
// directly (a customer with three past orders), which events would otherwise compute.
func applyCustomerSeed(c *store.Customer, attrs map[string]any, now time.Time) {
	if v, ok := attrs["orders_count"]; ok {
		if n, ok := toInt(v); ok {
			c.OrdersCount = int(n)
		}
	}
	if v, ok := attrs["total_spent"]; ok {
		if d, err := event.Decimal(v); err == nil {
			c.TotalSpent = d
		} else if f, ok := v.(float64); ok {
			c.TotalSpent = decimal.NewFromFloat(f)
		}
	}
	for k, dst := range map[string]*time.Time{"first_order_at": &c.FirstOrderAt, "last_order_at": &c.LastOrderAt, "created_at": &c.CreatedAt} {
		if s := asString(attrs[k]); s != "" {
			if t, err := exprs.ParseTime(s); err == nil {
				*dst = t
			}
		}
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
}
