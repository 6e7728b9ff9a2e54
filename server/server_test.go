package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/rs/zerolog"
)

// newServer builds a server on a memory store over the workspace whose settings are given, with
// env as its environment.
func newServer(t *testing.T, settings string, env map[string]string) *Server {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"flows", "templates"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "afterglow.yaml")
	if err := os.WriteFile(file, []byte(settings), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), Options{
		SettingsFile: file, Log: zerolog.Nop(),
		OpenStore: func(context.Context, string) (store.Store, error) { return memstore.New(), nil },
		Lookup: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.listener.Close() })
	return srv
}

// The engine keeps quiet hours and date triggers in the settings' time zone, which may come from
// the environment like any text setting.
func TestTimezoneFromTheEnvironment(t *testing.T) {
	srv := newServer(t, "database: memory\nlisten: 127.0.0.1:0\ntimezone: ${SHOP_TZ}\nchannels:\n  email: {connector: console}\n",
		map[string]string{"SHOP_TZ": "Asia/Tokyo"})
	if got := srv.Engine().Flows().Settings.Location.String(); got != "Asia/Tokyo" {
		t.Errorf("the engine's time zone is %s; want Asia/Tokyo from ${SHOP_TZ}", got)
	}
	if err := srv.reloader.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := srv.Engine().Flows().Settings.Location.String(); got != "Asia/Tokyo" {
		t.Errorf("after a reload the engine's time zone is %s; want Asia/Tokyo from ${SHOP_TZ}", got)
	}
}

// The settings say how many transactions commit events and how many loops advance due journeys;
// without them, the engine's defaults.
func TestWorkersFromTheSettings(t *testing.T) {
	srv := newServer(t, "database: memory\nlisten: 127.0.0.1:0\nworkers: {ingest: 3, timers: 1}\n", nil)
	if srv.batcher.Workers != 3 || srv.settings.Workers.Timers != 1 {
		t.Errorf("ingest %d, timers %d; want 3 and 1", srv.batcher.Workers, srv.settings.Workers.Timers)
	}
	srv = newServer(t, "database: memory\nlisten: 127.0.0.1:0\nworkers: {timers: 3}\n", nil)
	if srv.batcher.Workers != 4 || srv.settings.Workers.Timers != 3 {
		t.Errorf("ingest %d, timers %d; want the default 4 and 3", srv.batcher.Workers, srv.settings.Workers.Timers)
	}
}
