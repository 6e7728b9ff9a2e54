package chaostest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/clock"
	"github.com/afterglowhq/afterglow/engine/dispatch"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/event"
	"github.com/rs/zerolog"
)

// The crash test runs the engine in a process of its own (this test binary, started again in
// worker mode), so that it can be killed with SIGKILL like a real one. The parent tells it the
// time through a table, and it says through another table when it has done everything due at
// that time.

const (
	workerEnv    = "AFTERGLOW_CHAOS_WORKER" // the workspace folder; set only in the child
	workerURL    = "AFTERGLOW_CHAOS_WORKER_URL"
	workerSchema = "AFTERGLOW_CHAOS_WORKER_SCHEMA"
)

const controlTables = `
CREATE TABLE chaos_clock (step integer NOT NULL);
CREATE TABLE chaos_progress (done integer NOT NULL, next_due integer NOT NULL);
INSERT INTO chaos_clock VALUES (-2);
INSERT INTO chaos_progress VALUES (-2, -1);`

// stopStep on the clock tells the worker to exit.
const stopStep = -1

// eventLine is one line of the worker's events file.
type eventLine struct {
	Step  int         `json:"step"`
	Event event.Event `json:"event"`
}

func readEvents(path string) ([]eventLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []eventLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l eventLine
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&l); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// runWorker is the child's main: it returns the exit code.
func runWorker() int {
	if err := work(context.Background(), os.Getenv(workerEnv), os.Getenv(workerURL), os.Getenv(workerSchema)); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

func work(ctx context.Context, dir, url, schema string) error {
	logger := zerolog.New(os.Stderr).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	evs, err := readEvents(filepath.Join(dir, "events.ndjson"))
	if err != nil {
		return err
	}
	ws, err := loadWorkspace(dir)
	if err != nil {
		return err
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		return err
	}
	defer st.Close()
	clk := clock.NewVirtual(t0)
	eng := engine.New(st, engine.NewFlowSet(ws), engine.Options{Clock: clk, Logger: logger, BatchSize: 100})
	if err := retry(func() error { return eng.SaveVersions(ctx, eng.Flows()) }); err != nil {
		return err
	}
	chans, err := dispatch.Build(ws.Settings, connectors.Options{Logger: logger})
	if err != nil {
		return err
	}
	disp := &dispatch.Dispatcher{Store: st, Channels: chans, Clock: clk, Log: logger, Concurrency: 8, Batch: 64}
	pool := st.Pool()
	cursor := 0 // a new life starts from the first event: what is stored already is dropped
	for {
		var step, done int
		if err := pool.QueryRow(ctx, `SELECT c.step, p.done FROM chaos_clock c, chaos_progress p`).Scan(&step, &done); err != nil {
			return err
		}
		if step == stopStep {
			return nil
		}
		if step == done || step < 0 {
			time.Sleep(time.Millisecond)
			continue
		}
		now := at(step)
		clk.Set(now)
		// Timers, schedules and deliveries run beside the ingestion, as in `afterglow run`...
		bg, stop := context.WithCancel(ctx)
		loopErr := make(chan error, 1)
		go func() { loopErr <- drainLoop(bg, eng, disp) }()
		for cursor < len(evs) && evs[cursor].Step <= step {
			end := cursor
			var batch []event.Event
			for end < len(evs) && evs[end].Step <= step && len(batch) < 100 {
				batch = append(batch, evs[end].Event)
				end++
			}
			if err := retry(func() error { _, err := eng.Ingest(ctx, batch); return err }); err != nil {
				stop()
				return fmt.Errorf("ingest at step %d: %w", step, err)
			}
			cursor = end
		}
		stop()
		if err := <-loopErr; err != nil {
			return err
		}
		// ...and then alone, until nothing is due: no timer, date or schedule, and no message that
		// may be sent (one leased by a process that was killed waits for its lease to expire, at
		// a later step).
		var next time.Time
		for {
			n, err := drainOnce(ctx, eng, disp)
			if err != nil {
				return err
			}
			due, ok, err := eng.NextDue(ctx)
			if err != nil {
				return err
			}
			var pending int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status = 'pending' AND send_at <= $1`, now).Scan(&pending); err != nil {
				return err
			}
			if n == 0 && pending == 0 && (!ok || due.After(now)) {
				next = due
				if !ok {
					next = time.Time{}
				}
				break
			}
			if n == 0 {
				time.Sleep(time.Millisecond) // what is due is held by a transaction of a killed process, still being rolled back
			}
		}
		nextStep := -1
		if !next.IsZero() {
			d := next.Sub(t0)
			if d%stepLen != 0 {
				return fmt.Errorf("something is due at t0+%s, between steps", d)
			}
			nextStep = int(d / stepLen)
		}
		if _, err := pool.Exec(ctx, `UPDATE chaos_progress SET done = $1, next_due = $2`, step, nextStep); err != nil {
			return err
		}
	}
}

// drainLoop runs timers, schedules and deliveries until ctx ends.
func drainLoop(ctx context.Context, eng *engine.Engine, disp *dispatch.Dispatcher) error {
	for ctx.Err() == nil {
		n, err := drainOnce(ctx, eng, disp)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if n == 0 {
			sleep(ctx, time.Millisecond)
		}
	}
	return nil
}

// drainOnce runs one round of timers, schedules and deliveries and says how much it did.
func drainOnce(ctx context.Context, eng *engine.Engine, disp *dispatch.Dispatcher) (int, error) {
	var n, m, k int
	if err := retry(func() (err error) { n, err = eng.Tick(ctx); return err }); err != nil {
		return 0, fmt.Errorf("timers: %w", err)
	}
	if err := retry(func() (err error) { m, err = eng.RunSchedules(ctx); return err }); err != nil {
		return 0, fmt.Errorf("schedules: %w", err)
	}
	if err := retry(func() (err error) { k, err = disp.RunOnce(ctx); return err }); err != nil {
		return 0, fmt.Errorf("dispatch: %w", err)
	}
	return n + m + k, nil
}

func retry(fn func() error) error {
	for {
		err := fn()
		if err == nil || !store.Retryable(err) {
			return err
		}
	}
}
