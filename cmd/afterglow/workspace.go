package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
)

// loadWorkspace loads the workspace at dir (or the one holding it) and prints its problems. A
// workspace with errors is refused: a simulation or an engine must not run half the flows.
func loadWorkspace(c *cli, dir string) (*dsl.Workspace, error) {
	settings := dsl.FindSettings(dir)
	if settings == "" {
		return nil, usagef("%s is not in a workspace: no afterglow.yaml there or above it", dir)
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
		_ = diag.WriteText(c.stderr, l.Items(), diag.ReadFiles)
		fmt.Fprintln(c.stderr, "the workspace has errors; fix them (afterglow validate shows them all) and try again")
		return nil, exitStatus(1)
	}
	return ws, nil
}
