package scenario

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	_ "github.com/afterglowhq/afterglow/connectors/all" // workspaces name connectors; their settings are checked on load
	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	_ "github.com/afterglowhq/afterglow/sources/all" // workspaces name event sources; their settings are checked on load
)

// Find lists the scenario tests under the paths (files or folders, searched recursively).
func Find(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		for _, f := range dsl.WalkYAML(p) {
			if dsl.FileKind(f, nil) == dsl.KindTest {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Suite runs scenario test files, loading each workspace once.
type Suite struct {
	Filter   *regexp.Regexp // only tests whose name matches; nil for all
	NewStore NewStore
	Parallel int

	mu  sync.Mutex
	wss map[string]*loaded
}

type loaded struct {
	ws    *dsl.Workspace
	diags []diag.Diagnostic
}

// FileResult is the outcome of one file: its problems when it cannot run, or its result.
type FileResult struct {
	File        string
	Diagnostics []diag.Diagnostic // errors in the test or in its workspace: the test did not run
	Result      *Result
	Skipped     bool // filtered out by name
}

// Run runs the files and reports each result through report, in file order.
func (s *Suite) Run(ctx context.Context, files []string, report func(FileResult)) {
	if s.Parallel <= 0 {
		s.Parallel = runtime.GOMAXPROCS(0)
	}
	results := make([]chan FileResult, len(files))
	sem := make(chan struct{}, s.Parallel)
	for i, f := range files {
		results[i] = make(chan FileResult, 1)
		go func(i int, f string) {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- s.runFile(ctx, f)
		}(i, f)
	}
	for _, ch := range results {
		report(<-ch)
	}
}

func (s *Suite) runFile(ctx context.Context, file string) FileResult {
	fr := FileResult{File: file}
	roots := []string{filepath.Dir(file)}
	if s := dsl.FindSettings(file); s != "" {
		roots = append(roots, filepath.Dir(s))
	}
	src, err := wsfile.Read(file, roots...)
	if err != nil {
		fr.Diagnostics = []diag.Diagnostic{{File: file, Severity: diag.Error, Code: wsfile.Code(err), Message: err.Error()}}
		return fr
	}
	var l diag.List
	var wsDiags []diag.Diagnostic
	sc, ws := dsl.ParseScenario(file, src, &l, func(settings string) *dsl.Workspace {
		ld := s.workspace(settings)
		wsDiags = ld.diags
		return ld.ws
	})
	for _, d := range append(l.Items(), wsDiags...) {
		if d.Severity == diag.Error {
			fr.Diagnostics = append(fr.Diagnostics, d)
		}
	}
	if len(fr.Diagnostics) > 0 || sc == nil || ws == nil {
		if len(fr.Diagnostics) == 0 {
			fr.Diagnostics = []diag.Diagnostic{{File: file, Severity: diag.Error, Code: "workspace", Message: "no workspace to test"}}
		}
		return fr
	}
	if s.Filter != nil && !s.Filter.MatchString(sc.Name) {
		fr.Skipped = true
		return fr
	}
	r := Run(ctx, sc, ws, s.NewStore)
	fr.Result = &r
	return fr
}

func (s *Suite) workspace(settings string) *loaded {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wss == nil {
		s.wss = map[string]*loaded{}
	}
	if ld, ok := s.wss[settings]; ok {
		return ld
	}
	cwd, _ := os.Getwd()
	rel := func(p string) string {
		r, err := filepath.Rel(cwd, p)
		if err != nil || strings.HasPrefix(r, "..") {
			return p
		}
		return r
	}
	var l diag.List
	ws := dsl.LoadWorkspace(settings, rel, &l)
	ld := &loaded{ws: ws}
	for _, d := range l.Items() {
		if d.Severity == diag.Error {
			ld.diags = append(ld.diags, d)
		}
	}
	s.wss[settings] = ld
	return ld
}
