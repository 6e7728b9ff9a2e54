// Package validate checks paths (files, folders, workspaces) the way `afterglow validate` does:
// every workspace as a whole, files outside workspaces on their own, scenario tests against the
// workspace they test, all problems of all files in one run.
package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	// Settings name connectors and event sources, and validate checks each one's settings against
	// its own schema, so every built-in one must be registered.
	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	_ "github.com/afterglowhq/afterglow/sources/all"
)

// Result is what a validation found.
type Result struct {
	Diagnostics []diag.Diagnostic
	Files       int // files checked
}

// Paths validates the given paths. An error means a path could not be read at all.
func Paths(paths []string) (*Result, error) {
	cwd, _ := os.Getwd()
	rel := func(p string) string {
		r, err := filepath.Rel(cwd, p)
		if err != nil || strings.HasPrefix(r, "..") {
			return p
		}
		return r
	}
	var (
		files     []string            // requested YAML files, absolute
		requested = map[string]bool{} // absolute files whose diagnostics are reported
		roots     []string            // requested folders, absolute
		settings  = map[string]bool{}
	)
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, errNotExist(err))
		}
		if st.IsDir() {
			roots = append(roots, abs)
			for _, f := range dsl.WalkYAML(abs) {
				files = append(files, f)
				if dsl.FileKind(f, nil) == dsl.KindSettings {
					settings[f] = true
				}
			}
		} else {
			files = append(files, abs)
			requested[abs] = true
			if dsl.FileKind(abs, nil) == dsl.KindSettings {
				settings[abs] = true
			}
		}
		if s := dsl.FindSettings(abs); s != "" {
			settings[s] = true
		}
	}
	underRoot := func(f string) bool {
		if requested[f] {
			return true
		}
		for _, r := range roots {
			if f == r || strings.HasPrefix(f, r+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}

	var l diag.List
	wss := &workspaces{rel: rel, l: &l, loaded: map[string]*dsl.Workspace{}}
	covered := map[string]bool{}
	for s := range settings {
		if ws := wss.get(s); ws != nil {
			for _, f := range ws.Files {
				covered[f] = true
			}
		}
	}
	checked := len(covered)
	for _, f := range files {
		if covered[f] {
			continue
		}
		covered[f] = true
		checked++
		var ws *dsl.Workspace
		readRoots := append([]string{filepath.Dir(f)}, roots...)
		if s := dsl.FindSettings(f); s != "" {
			ws = wss.get(s)
			readRoots = append(readRoots, filepath.Dir(s))
		}
		b, err := wsfile.Read(f, readRoots...)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("cannot read %s: %w", rel(f), err)
			}
			l.Errorf(diag.Pos{File: rel(f)}, wsfile.Code(err), "cannot read: %v", err)
			continue
		}
		switch dsl.FileKind(f, b) {
		case dsl.KindTest:
			dsl.ParseScenario(rel(f), b, &l, wss.get)
		case dsl.KindFlow:
			ctx := &dsl.Context{}
			if ws != nil {
				ctx = ws.Context()
			}
			dsl.ParseFlow(rel(f), b, ctx, &l)
		case dsl.KindTemplate:
			dsl.ParseTemplate(rel(f), b, &l)
		case dsl.KindSettings:
		default:
			dsl.ReportUnknownKind(rel(f), b, &l)
		}
	}
	var out []diag.Diagnostic
	for _, d := range l.Items() {
		abs, _ := filepath.Abs(d.File)
		if underRoot(abs) {
			out = append(out, d)
		}
	}
	return &Result{Diagnostics: out, Files: checked}, nil
}

// workspaces loads each workspace once, on first use.
type workspaces struct {
	mu     sync.Mutex
	rel    func(string) string
	l      *diag.List
	loaded map[string]*dsl.Workspace
}

func (w *workspaces) get(settingsFile string) *dsl.Workspace {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ws, ok := w.loaded[settingsFile]; ok {
		return ws
	}
	ws := dsl.LoadWorkspace(settingsFile, w.rel, w.l)
	w.loaded[settingsFile] = ws
	return ws
}

func errNotExist(err error) error {
	if os.IsNotExist(err) {
		return fmt.Errorf("no such file or folder")
	}
	return err
}
