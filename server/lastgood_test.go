package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/rs/zerolog"
)

// A process started while the files on disk have errors runs the last valid workspace the
// database holds, says so in its metrics and readiness, and runs the files again once they are
// fixed. Only a database that holds none refuses the start.
func TestStartOnTheLastGoodWorkspace(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flow := "flow: thanks\ntrigger: {event: order.placed}\nsteps:\n  - {id: hi, send: {channel: email, category: transactional, template: note}}\n"
	note := "template: note\nchannel: email\ndefault_locale: en\nlocales:\n  en: {subject: Thanks, text: Thanks}\n"
	write("afterglow.yaml", "database: memory\nlisten: 127.0.0.1:0\nflows: [flows]\ntemplates: [templates]\nevents: [events]\ncatalog: catalog/products.yaml\nchannels:\n  email: {connector: console}\n")
	write("flows/thanks.yaml", flow)
	write("templates/note.yaml", note)
	write("catalog/products.yaml", "products:\n  - {id: serum-v1, replenish_after: 30d}\n")
	// A flow on one of the shop's own event types, whose schema the database must keep too.
	write("events/quiz.completed.schema.json", `{"type": "object", "required": ["skin_type"], "properties": {"skin_type": {"type": "string", "enum": ["dry", "oily"]}}}`)
	write("flows/quiz.yaml", "flow: quiz\ntrigger: {event: quiz.completed, when: 'event.data.skin_type == \"dry\"'}\nsteps:\n  - {id: hi, send: {channel: email, category: transactional, template: note}}\n")
	st := memstore.New()
	start := func(st store.Store) (*Server, error) {
		srv, err := New(context.Background(), Options{SettingsFile: filepath.Join(dir, "afterglow.yaml"), Log: zerolog.Nop(),
			OpenStore: func(context.Context, string) (store.Store, error) { return st, nil }})
		if err == nil {
			t.Cleanup(func() { srv.listener.Close() })
		}
		return srv, err
	}
	get := func(srv *Server, path string) string {
		rec := httptest.NewRecorder()
		mux, err := srv.routes()
		if err != nil {
			t.Fatal(err)
		}
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Body.String()
	}
	first, err := start(st)
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, f := range first.Engine().Flows().Flows {
		versions = append(versions, f.ID+"@"+f.Version)
	}

	// A bad edit, and the template deleted.
	write("flows/thanks.yaml", "flow: thanks\ntrigger: {event: order.placed\n")
	os.Remove(filepath.Join(dir, "templates/note.yaml"))
	srv, err := start(st)
	if err != nil {
		t.Fatalf("the start was refused: %v", err)
	}
	var got []string
	for _, f := range srv.Engine().Flows().Flows {
		got = append(got, f.ID+"@"+f.Version)
	}
	if strings.Join(got, " ") != strings.Join(versions, " ") {
		t.Fatalf("runs %v; want %v", got, versions)
	}
	if srv.Engine().Flows().Workspace.Events.Lookup("quiz.completed") == nil {
		t.Error("the shop's own event type is not in the workspace from the database")
	}
	if p := srv.Engine().Flows().Workspace.Products; p == nil || p.Get("serum-v1") == nil {
		t.Error("the product catalog is not in the workspace from the database")
	}
	m := get(srv, "/metrics")
	for _, want := range []string{"afterglow_workspace_from_database 1", "afterglow_reload_success 0"} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if r := get(srv, "/readyz"); !strings.Contains(r, `"ready":true`) || !strings.Contains(r, `"workspace":"database"`) {
		t.Errorf("/readyz: %s", r)
	}

	write("flows/thanks.yaml", flow)
	write("templates/note.yaml", note)
	if err := srv.reloader.Reload(); err != nil {
		t.Fatalf("the fixed files: %v", err)
	}
	if m := get(srv, "/metrics"); !strings.Contains(m, "afterglow_workspace_from_database 0\n") || !strings.Contains(m, "afterglow_reload_success 1\n") {
		t.Error("after the fix, the metrics still say the workspace comes from the database")
	}

	write("flows/thanks.yaml", "flow: thanks\ntrigger: {event: order.placed\n")
	if _, err := start(memstore.New()); err == nil || !strings.Contains(err.Error(), "the database holds no workspace run before") ||
		!strings.Contains(err.Error(), "thanks.yaml") {
		t.Errorf("a database without a workspace: %v; want the start refused with the files' errors", err)
	}
}
