// Package server is `afterglow run`: it takes events over HTTP (its own API and Shopify and
// WooCommerce webhooks), processes them, runs timers and schedules, delivers the outbox, serves
// health, readiness, metrics and unsubscribe links, and reloads the workspace when marketers'
// changes land. Any number of servers may share one database.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/dispatch"
	"github.com/afterglowhq/afterglow/engine/ingest"
	"github.com/afterglowhq/afterglow/engine/reload"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/unsubscribe"
	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/sources"
	_ "github.com/afterglowhq/afterglow/sources/all" // the server mounts the sources the settings name
	"github.com/rs/zerolog"
)

// Options configure a server.
type Options struct {
	SettingsFile string
	Log          zerolog.Logger
	// OpenStore connects to the database named in the settings and checks its schema.
	OpenStore func(ctx context.Context, url string) (store.Store, error)
	// Lookup reads environment variables for ${VAR} in the settings.
	Lookup func(string) (string, bool)
	// IngestTimeout is how long an ingest request may wait for its events to be committed before
	// it is answered 503 with Retry-After; zero means 10s.
	IngestTimeout time.Duration
	// BodyBudget is the memory request bodies may hold at once, across the ingest endpoints; zero
	// means 64 MiB.
	BodyBudget int64
	// Intervals; zero uses the defaults.
	TimerPoll    time.Duration
	DispatchPoll time.Duration
	SchedulePoll time.Duration
}

// Server is a running engine.
type Server struct {
	opts     Options
	log      zerolog.Logger
	settings *dsl.Settings // with ${VAR}s expanded
	store    store.Store
	eng      *engine.Engine
	batcher  *ingest.Batcher
	disp     *dispatch.Dispatcher
	reloader *reload.Reloader
	received received
	refused  map[string]*sources.AuthFailures // by source
	stats    statsCache
	http     *http.Server
	listener net.Listener
	secret   []byte
	metrics  *instruments
	// fromDB is set while the server runs the last valid workspace of the database because the
	// files on disk had errors when it started; a reload of valid files clears it.
	fromDB atomic.Bool
}

// New loads and checks everything a server needs, so that a misconfiguration stops it at start-up
// with a message that says what to fix, never later.
func New(ctx context.Context, opts Options) (*Server, error) {
	if opts.Lookup == nil {
		opts.Lookup = os.LookupEnv
	}
	ws, errs := reload.Load(opts.SettingsFile)
	var st store.Store
	var fromDB bool
	if ws == nil {
		// A bad edit and a restart must not stop every flow: run the last valid workspace the
		// database holds, until the files are fixed.
		var err error
		if ws, st, err = lastGood(ctx, opts, errs); err != nil {
			return nil, err
		}
		fromDB = true
	}
	set, err := ws.Settings.Expand(opts.Lookup)
	if err != nil {
		if st != nil {
			st.Close()
		}
		return nil, err
	}
	if st == nil {
		dbURL := set.Database
		if dbURL == "" {
			dbURL, _ = opts.Lookup("DATABASE_URL")
		}
		if dbURL == "" {
			return nil, fmt.Errorf("no database: set `database:` in %s or the DATABASE_URL environment variable", opts.SettingsFile)
		}
		if st, err = opts.OpenStore(ctx, dbURL); err != nil {
			return nil, err
		}
	}
	s := &Server{opts: opts, log: opts.Log, settings: set, store: st}
	s.fromDB.Store(fromDB)
	if s.opts.TimerPoll <= 0 {
		s.opts.TimerPoll = 500 * time.Millisecond
	}
	if s.opts.DispatchPoll <= 0 {
		s.opts.DispatchPoll = 500 * time.Millisecond
	}
	if s.opts.SchedulePoll <= 0 {
		s.opts.SchedulePoll = 5 * time.Second
	}
	if s.opts.IngestTimeout <= 0 {
		s.opts.IngestTimeout = 10 * time.Second
	}
	if s.opts.BodyBudget <= 0 {
		s.opts.BodyBudget = 64 << 20
	}
	if set.Secret != "" {
		s.secret = []byte(set.Secret)
	}
	if err := wayOut(ws, set); err != nil {
		st.Close()
		return nil, err
	}
	s.metrics = newInstruments()
	eo := engine.Options{Logger: s.log, ObserveWake: func(late time.Duration) { s.metrics.wakeLag.Observe(late.Seconds()) },
		Unsubscribe: unsubscribe.Links(set.PublicURL, set.Listen, set.Secret)}
	s.eng = engine.New(st, engine.NewFlowSet(expanded(ws, set)), eo)
	if err := s.eng.SaveVersions(ctx, s.eng.Flows()); err != nil {
		st.Close()
		return nil, fmt.Errorf("storing flow versions: %w", err)
	}
	chans, err := dispatch.Build(set, connectors.Options{Logger: s.log, Out: os.Stdout, HTTPClient: connectors.NewHTTPClient(30*time.Second, max(set.Delivery.Concurrency, 16))})
	if err != nil {
		st.Close()
		return nil, err
	}
	connectorOf := map[string]string{}
	for name, ch := range set.Channels {
		connectorOf[name] = ch.Connector
	}
	s.disp = &dispatch.Dispatcher{Store: st, Channels: chans, Log: s.log,
		Concurrency: set.Delivery.Concurrency, MaxAttempts: set.Delivery.MaxAttempts, Lease: set.Delivery.Lease,
		ObserveSend: func(channel, outcome string, took time.Duration) {
			s.metrics.send.WithLabelValues(connectorOf[channel], channel, outcome).Observe(took.Seconds())
		}}
	s.batcher = &ingest.Batcher{Engine: s.eng, Workers: set.Workers.Ingest,
		Observe: func(_ int, took time.Duration) { s.metrics.ingest.Observe(took.Seconds()) }}
	channels := strings.Join(set.ChannelNames(), ",")
	s.reloader = &reload.Reloader{SettingsFile: opts.SettingsFile, Log: s.log, Apply: func(ws *dsl.Workspace) error {
		// Connectors are built at start-up from the settings; a changed set of channels needs a restart.
		if got := strings.Join(ws.Settings.ChannelNames(), ","); got != channels {
			return fmt.Errorf("the channels changed (%s, was %s): restart afterglow run to apply settings changes", got, channels)
		}
		set, err := ws.Settings.Expand(opts.Lookup)
		if err != nil {
			return err
		}
		if err := wayOut(ws, set); err != nil {
			return err
		}
		if set.Workers != s.settings.Workers {
			s.log.Warn().Int("ingest", set.Workers.Ingest).Int("timers", set.Workers.Timers).
				Msg("workers: the new counts apply when afterglow run restarts")
		}
		if err := s.eng.SetFlows(context.Background(), engine.NewFlowSet(expanded(ws, set))); err != nil {
			return err
		}
		if s.fromDB.Swap(false) {
			s.log.Info().Msg("the workspace on disk is valid again: running it instead of the one from the database")
		}
		return nil
	}}
	// Running the database's workspace, the reload of the files fails, is counted, and the
	// watcher picks up their fix.
	if err := s.reloader.Reload(); err != nil && !fromDB {
		st.Close()
		return nil, err
	}
	mux, err := s.routes()
	if err != nil {
		st.Close()
		return nil, err
	}
	// A request has 30 s to arrive whole: a body trickled in holds its share of the body budget
	// no longer than that.
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, ErrorLog: nil}
	s.listener, err = net.Listen("tcp", set.Listen)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", set.Listen, err)
	}
	return s, nil
}

// lastGood opens the database the settings on disk name and rebuilds the last valid workspace it
// holds, for a start with files that have errors (errs). Without one, the start fails with errs.
func lastGood(ctx context.Context, opts Options, errs []diag.Diagnostic) (*dsl.Workspace, store.Store, error) {
	var b strings.Builder
	for _, d := range errs {
		b.WriteString("\n  " + d.String())
	}
	fail := func(why string) error {
		return fmt.Errorf("the workspace has errors (run afterglow validate), and %s:%s", why, b.String())
	}
	dbURL := ""
	if src, err := wsfile.Read(opts.SettingsFile, filepath.Dir(opts.SettingsFile)); err == nil {
		var ignored diag.List
		dbURL, _ = dsl.Expand(dsl.ParseSettings(opts.SettingsFile, src, &ignored).Database, opts.Lookup)
	}
	if dbURL == "" {
		dbURL, _ = opts.Lookup("DATABASE_URL")
	}
	if dbURL == "" {
		return nil, nil, fail("no database is named to find the last valid workspace in")
	}
	st, err := opts.OpenStore(ctx, dbURL)
	if err != nil {
		return nil, nil, err
	}
	ws, saved, err := engine.LastWorkspace(ctx, st)
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, fail("the database holds no workspace run before to start on")
		}
		return nil, nil, fail(err.Error())
	}
	for _, d := range errs {
		opts.Log.Error().Str("file", d.File).Int("line", d.Line).Int("col", d.Col).Str("code", d.Code).Msg(d.Message)
	}
	opts.Log.Error().Int("errors", len(errs)).Time("saved_at", saved).Int("flows", len(ws.Flows)).
		Msg("the workspace on disk has errors: running the last valid workspace from the database until they are fixed")
	return ws, st, nil
}

// wayOut refuses flows that write marketing email when no secret signs unsubscribe links: a
// commercial email must carry a way out. set is the settings with ${VAR}s expanded, so that
// secret: ${AFTERGLOW_SECRET:-} with the variable unset counts as none.
func wayOut(ws *dsl.Workspace, set *dsl.Settings) error {
	if set.Secret != "" {
		return nil
	}
	if flow, step, channel, ok := expanded(ws, set).MarketingEmail(); ok {
		return fmt.Errorf("%s: %s", ws.Settings.File, dsl.NoSecretMessage(flow, step, channel))
	}
	return nil
}

// expanded is ws with the settings whose ${VAR}s are resolved. The engine reads the time zone
// from them (quiet hours, date triggers); the raw settings keep `timezone: ${SHOP_TZ}` as UTC.
func expanded(ws *dsl.Workspace, set *dsl.Settings) *dsl.Workspace {
	w := *ws
	w.Settings = set
	return &w
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Engine is the server's engine.
func (s *Server) Engine() *engine.Engine { return s.eng }

// counting wraps the sink to count what each source hands over.
type counting struct {
	s      *Server
	source string
}

func (c counting) Submit(ctx context.Context, evs []event.Event) error {
	err := c.s.batcher.Submit(ctx, evs)
	var refused *event.Refused
	if errors.As(err, &refused) {
		return err // refused as events that can never be stored: not received, as a malformed request is not
	}
	for _, e := range evs {
		c.s.received.add(c.source, e.Type)
	}
	return err
}

func (c counting) CustomerOfOrder(ctx context.Context, source, orderID string) (string, bool, error) {
	return c.s.batcher.CustomerOfOrder(ctx, source, orderID)
}

func (s *Server) routes() (*http.ServeMux, error) {
	mux := http.NewServeMux()
	// What anyone may make an ingest request cost before it is authenticated is bounded: the
	// memory of the bodies being read, the log lines of refused signatures, and, once accepted,
	// the time it waits for the database.
	budget := sources.NewBudget(s.opts.BodyBudget, 2*time.Second)
	s.refused = map[string]*sources.AuthFailures{}
	refused := func(source string) *sources.AuthFailures {
		a := sources.NewAuthFailures(s.log.With().Str("source", source).Logger(), 10*time.Second)
		s.refused[source] = a
		return a
	}
	ingest := func(pattern string, h http.Handler) {
		mux.Handle(pattern, sources.WithDeadline(h, s.opts.IngestTimeout))
	}
	// Each source the settings turn on is mounted at its own path, as its registration says.
	for _, name := range s.settings.SourceNames() {
		spec, ok := sources.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("sources.%s: no such event source; the sources are %s", name, strings.Join(sources.Names(), ", "))
		}
		h, err := spec.New(s.settings.Sources[name].With, sources.Options{Sink: counting{s, name}, Logger: s.log, Now: s.eng.Now,
			Budget: budget, AuthFailures: refused(name)})
		if err != nil {
			return nil, fmt.Errorf("sources.%s: %w", name, err)
		}
		ingest("POST "+spec.Path, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry(s.metrics), promhttp.HandlerOpts{}))
	if err := s.dashboard(mux); err != nil {
		return nil, err
	}
	mux.HandleFunc("GET /u/{token}", s.unsubscribePage)
	mux.HandleFunc("POST /u/{token}", s.unsubscribe)
	return mux, nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	var problems []string
	if _, _, err := s.store.NextWake(ctx); err != nil {
		problems = append(problems, "database unreachable: "+err.Error())
	}
	if len(s.eng.Flows().Flows) == 0 && s.reloader.Status().Successes == 0 {
		problems = append(problems, "no flows loaded")
	}
	if len(problems) > 0 {
		sources.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false, "problems": problems})
		return
	}
	from := "files"
	if s.fromDB.Load() {
		from = "database" // the files on disk have errors: the last valid workspace runs
	}
	sources.WriteJSON(w, http.StatusOK, map[string]any{"ready": true, "flows": len(s.eng.Flows().Flows), "workspace": from})
}

// Run serves and works until ctx ends (SIGTERM or SIGINT), then drains: it stops taking requests,
// commits what it took, finishes the sends under way, and returns.
func (s *Server) Run(ctx context.Context, hup <-chan struct{}) error {
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	batcherCtx, stopBatcher := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	goWork := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	batcherDone := make(chan struct{})
	go func() { s.batcher.Run(batcherCtx); close(batcherDone) }()
	// Several loops: each claims its own customers (the store skips those another holds), so while
	// one batch's statements run, another is worked out in Go. 20,000 due journeys took 1.3 s with
	// one loop and 0.9-1.0 s with two on two cores.
	for range s.settings.Workers.Timers {
		goWork(func() { s.timers(work) })
	}
	goWork(func() { s.schedules(work) })
	goWork(func() { _ = s.disp.Run(work, s.opts.DispatchPoll) })
	goWork(func() {
		if err := s.reloader.Watch(work, hup); err != nil {
			s.log.Error().Err(err).Msg("hot reload is off")
		}
	})
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.listener) }()
	s.log.Info().Str("listen", s.Addr()).Int("flows", len(s.eng.Flows().Flows)).Msg("afterglow is running")

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	s.log.Info().Msg("shutting down: no new requests; finishing the work in hand")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = s.http.Shutdown(shutdownCtx) // waits for handlers, which wait for their commits
	s.batcher.Close()
	stopBatcher()
	<-batcherDone
	stopWork()
	wg.Wait()
	s.disp.Close()
	s.store.Close()
	s.log.Info().Msg("stopped")
	return err
}

// timers advances due journeys, as fast as there are any, else every poll interval.
func (s *Server) timers(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.eng.Tick(ctx)
		if err != nil && !store.Retryable(err) && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("advancing due journeys failed; trying again")
		}
		if n > 0 {
			continue
		}
		sleep(ctx, s.opts.TimerPoll)
	}
}

// schedules fans out schedule triggers and keeps date triggers up to date with the flows.
func (s *Server) schedules(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := s.eng.RunSchedules(ctx); err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("running schedules failed; trying again")
		}
		for ctx.Err() == nil {
			n, err := s.eng.RefreshDates(ctx)
			if err != nil || n == 0 {
				break
			}
		}
		sleep(ctx, s.opts.SchedulePoll)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
