package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { addCommand(newVersionCmd) }

func newVersionCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version, the commit it was built from, and the Go version",
		Example: `  afterglow version`,
		Args:    args(cobra.NoArgs),
		RunE: func(_ *cobra.Command, _ []string) error {
			fmt.Fprintln(c.stdout, versionLine())
			return nil
		},
	}
}

// Set by the linker where the toolchain records no version control information, as in a container
// build from a copy of the sources without .git (see Dockerfile):
//
//	go build -ldflags "-X main.buildVersion=v1.4.0 -X main.buildCommit=$(git rev-parse HEAD)" ./cmd/afterglow
var buildVersion, buildCommit string

// versionLine reads what the Go toolchain recorded at build time: the module version (set when
// built with `go install module@version`, "(devel)" from a clone) and the VCS commit, else what the
// linker was given.
func versionLine() string {
	version, commit, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if version == "(devel)" && buildVersion != "" {
		version = buildVersion
	}
	if commit == "" {
		commit = buildCommit
	}
	line := "afterglow " + version
	if commit != "" {
		if len(commit) > 12 {
			commit = commit[:12]
		}
		line += " commit " + commit
		if modified {
			line += " (modified)"
		}
	}
	return fmt.Sprintf("%s %s %s/%s", line, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
