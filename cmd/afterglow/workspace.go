package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
)

// loadWorkspace loads the workspace at dir (or the one holding it) and prints its problems. A
// workspace with errors is refused: a simulation or an engine must not run half the flows.
func loadWorkspace(dir string, stdout, stderr io.Writer) (*dsl.Workspace, int) {
	settings := dsl.FindSettings(dir)
	if settings == "" {
		fmt.Fprintf(stderr, "%s is not in a workspace: no afterglow.yaml there or above it\n", dir)
		return nil, 2
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
	if l.HasErrors() || ws == nil {
		_ = diag.WriteText(stderr, l.Items(), diag.ReadFiles)
		fmt.Fprintln(stderr, "the workspace has errors; fix them (afterglow validate shows them all) and try again")
		return nil, 1
	}
	return ws, 0
}

// reorder moves flags after positional arguments to the front, so `simulate WORKSPACE --until 60d`
// works as people type it.
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}
