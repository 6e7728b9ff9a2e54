package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("Schedules", testSchedules)
	register("FlowVersions", testFlowVersions)
	registerConcurrent("Concurrent/LockScheduleHeld", testLockScheduleHeld)
}

func testSchedules(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "spring-sale")
		if err != nil {
			return err
		}
		deepEqual(t, "new schedule", s, &store.Schedule{FlowID: "spring-sale"})
		s.Spec, s.FireAt, s.Cursor = "at 2026-03-01T10:00:00Z", t0.Add(time.Hour), "cust-0042"
		return tx.SaveSchedule(ctx, s)
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.LockSchedule(ctx, "spring-sale")
		if err != nil {
			return err
		}
		deepEqual(t, "schedule", s, &store.Schedule{FlowID: "spring-sale", Spec: "at 2026-03-01T10:00:00Z", FireAt: t0.Add(time.Hour), Cursor: "cust-0042"})
		s.LastFired, s.FireAt, s.Cursor = s.FireAt, time.Time{}, ""
		if err := tx.SaveSchedule(ctx, s); err != nil {
			return err
		}
		return tx.SaveSchedule(ctx, &store.Schedule{FlowID: "anniversary", Spec: "cron x"})
	})
	ss, err := st.Schedules(ctxT(t))
	must(t, err)
	deepEqual(t, "schedules", ss, []store.Schedule{
		{FlowID: "anniversary", Spec: "cron x"},
		{FlowID: "spring-sale", Spec: "at 2026-03-01T10:00:00Z", LastFired: t0.Add(time.Hour)},
	})
}

func testLockScheduleHeld(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveSchedule(ctx, &store.Schedule{FlowID: "old", Spec: "x"})
	})
	for _, flow := range []string{"old", "brand-new"} {
		h := hold(t, st, func(ctx context.Context, tx store.Tx) error {
			s, err := tx.LockSchedule(ctx, flow)
			if err == nil && s == nil {
				err = fail("LockSchedule(%s) returned nil with no other holder", flow)
			}
			if err == nil {
				s.Cursor = "held"
				err = tx.SaveSchedule(ctx, s)
			}
			return err
		})
		var got, other *store.Schedule
		done := async(t, st, func(ctx context.Context, tx store.Tx) error {
			var err error
			if got, err = tx.LockSchedule(ctx, flow); err != nil {
				return err
			}
			other, err = tx.LockSchedule(ctx, "unrelated-"+flow)
			return err
		})
		quickly(t, done, "LockSchedule of a schedule another transaction holds")
		if got != nil {
			t.Errorf("LockSchedule(%s) held elsewhere: got %+v, want nil", flow, got)
		}
		if other == nil {
			t.Errorf("LockSchedule of another flow returned nil")
		}
		h.end(t, true)
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			s, err := tx.LockSchedule(ctx, flow)
			if err == nil && (s == nil || s.Cursor != "held") {
				t.Errorf("LockSchedule(%s) after the holder committed: %+v", flow, s)
			}
			return err
		})
	}
}

func testFlowVersions(t *testing.T, st store.Store) {
	v1 := store.FlowVersion{Version: "sha256:1", FlowID: "welcome", Source: []byte("id: welcome\nsteps: []\n"), File: "flows/welcome.yaml"}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveFlowVersions(ctx, []store.FlowVersion{v1, {Version: "sha256:2", FlowID: "nps", Source: []byte("id: nps"), File: "flows/nps.yaml"}})
	})
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveFlowVersions(ctx, []store.FlowVersion{{Version: "sha256:1", FlowID: "welcome", Source: []byte("changed"), File: "x"}})
	})
	got, err := st.FlowVersion(ctxT(t), "sha256:1")
	must(t, err)
	deepEqual(t, "flow version saved once", *got, v1)
	if _, err := st.FlowVersion(ctxT(t), "sha256:9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown flow version: got %v, want store.ErrNotFound", err)
	}
}
