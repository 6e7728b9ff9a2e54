// Package reload picks up marketers' merged changes without a restart: it watches the workspace's
// folders, waits for a quiet moment after the last change (an editor or a git checkout writes
// many files), loads and validates the whole workspace, and hands a valid one to the engine. A
// workspace with errors is rejected with its diagnostics in the log, and the last good one keeps
// running.
package reload

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/fsnotify/fsnotify"
	"github.com/rs/zerolog"
)

// Reloader reloads a workspace.
type Reloader struct {
	SettingsFile string
	// Apply installs a valid workspace; an error rejects it (for example, when a change needs a restart).
	Apply func(ws *dsl.Workspace) error
	Log   zerolog.Logger
	Quiet time.Duration // how long no file may change before a reload

	mu        sync.Mutex // one reload at a time
	ok        atomic.Bool
	at        atomic.Int64 // unix nanoseconds of the last reload
	successes atomic.Int64
	failures  atomic.Int64
}

// Status is the outcome of the last reload, for metrics and readiness.
type Status struct {
	LastOK    bool
	LastAt    time.Time
	Successes int64
	Failures  int64
}

// Status reports the last reload.
func (r *Reloader) Status() Status {
	var at time.Time
	if n := r.at.Load(); n != 0 {
		at = time.Unix(0, n)
	}
	return Status{LastOK: r.ok.Load(), LastAt: at, Successes: r.successes.Load(), Failures: r.failures.Load()}
}

// Load reads and validates the workspace; it returns the diagnostics when it has errors.
func Load(settingsFile string) (*dsl.Workspace, []diag.Diagnostic) {
	var l diag.List
	ws := dsl.LoadWorkspace(settingsFile, nil, &l)
	if ws == nil || l.HasErrors() {
		var errs []diag.Diagnostic
		for _, d := range l.Items() {
			if d.Severity == diag.Error {
				errs = append(errs, d)
			}
		}
		return nil, errs
	}
	return ws, nil
}

// Reload loads the workspace and applies it if it is valid.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at.Store(time.Now().UnixNano())
	ws, errs := Load(r.SettingsFile)
	if ws == nil {
		r.ok.Store(false)
		r.failures.Add(1)
		for _, d := range errs {
			r.Log.Error().Str("file", d.File).Int("line", d.Line).Int("col", d.Col).Str("code", d.Code).Msg(d.Message)
		}
		r.Log.Error().Int("errors", len(errs)).Msg("reload rejected: the workspace has errors; the flows loaded before keep running")
		return fmt.Errorf("the workspace has %d errors", len(errs))
	}
	if err := r.Apply(ws); err != nil {
		r.ok.Store(false)
		r.failures.Add(1)
		r.Log.Error().Err(err).Msg("reload rejected; the flows loaded before keep running")
		return err
	}
	r.ok.Store(true)
	r.successes.Add(1)
	var versions []string
	for _, f := range ws.Flows {
		versions = append(versions, f.ID+"@"+f.Version)
	}
	r.Log.Info().Int("flows", len(ws.Flows)).Int("templates", len(ws.Templates)).Strs("versions", versions).Msg("workspace loaded")
	return nil
}

// Watch reloads after every burst of changes under the workspace's folders, and whenever a value
// arrives on trigger (SIGHUP), until ctx ends.
func (r *Reloader) Watch(ctx context.Context, trigger <-chan struct{}) error {
	quiet := r.Quiet
	if quiet <= 0 {
		quiet = 300 * time.Millisecond
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching the workspace: %w", err)
	}
	defer w.Close()
	for _, d := range r.roots() {
		addTree(w, d, r.Log)
	}
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-trigger:
			_ = r.Reload()
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					addTree(w, ev.Name, r.Log)
				}
			}
			if !relevant(ev.Name) {
				continue
			}
			// Editors that save by writing a new file and renaming it over the old one show up as a
			// create or rename in the folder: every kind of event counts.
			if timer == nil {
				timer = time.NewTimer(quiet)
			} else {
				timer.Reset(quiet)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			r.Log.Warn().Err(err).Msg("file watcher error")
		case <-fire:
			fire = nil
			_ = r.Reload()
		}
	}
}

// roots are the folders to watch: the workspace's own, and flow, template or event folders outside it.
func (r *Reloader) roots() []string {
	dir := filepath.Dir(r.SettingsFile)
	roots := []string{dir}
	var l diag.List
	if b, err := wsfile.Read(r.SettingsFile, dir); err == nil {
		s := dsl.ParseSettings(r.SettingsFile, b, &l)
		for _, d := range append(append(append([]string{}, s.FlowDirs...), s.TemplateDirs...), s.EventDirs...) {
			if rel, err := filepath.Rel(dir, d); err != nil || strings.HasPrefix(rel, "..") {
				roots = append(roots, d)
			}
		}
	}
	return roots
}

func addTree(w *fsnotify.Watcher, root string, log zerolog.Logger) {
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if err := w.Add(p); err != nil {
			log.Warn().Str("dir", p).Err(err).Msg("cannot watch folder")
		}
		return nil
	})
}

func relevant(name string) bool {
	base := filepath.Base(name)
	// Kubernetes updates a mounted ConfigMap by renaming a new `..data` link over the old one,
	// and every file of it is a link through `..data`: that rename is the only event the update
	// makes in the watched folder.
	if base == "..data" {
		return true
	}
	if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") {
		return false
	}
	ext := filepath.Ext(base)
	return ext == ".yaml" || ext == ".yml" || ext == ".json" || ext == ""
}
