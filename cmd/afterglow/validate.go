package main

import (
	"fmt"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/validate"
	"github.com/spf13/cobra"
)

func init() { addCommand(newValidateCmd) }

func newValidateCmd(c *cli) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate [--format text|github|json] PATH...",
		Short: "Check flows, templates, settings and scenario tests",
		Long: `Checks every flow, template, settings file and scenario test under each PATH (a file, a folder
searched recursively, or a workspace) and prints each problem with its file, line and column.

Exit status: 0 clean (warnings allowed), 1 errors found, 2 usage or I/O error.`,
		Example: `  afterglow validate examples/shop
  afterglow validate flows --format github     # annotations in a GitHub pull request
  afterglow validate . --format json`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, paths []string) error {
			if err := oneOf("format", format, "text", "github", "json"); err != nil {
				return err
			}
			return runValidate(c, paths, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output: text, github (pull-request annotations) or json")
	return cmd
}

func runValidate(c *cli, paths []string, format string) error {
	res, err := validate.Paths(paths)
	if err != nil {
		return usageError{err}
	}
	errors, warnings := 0, 0
	for _, d := range res.Diagnostics {
		if d.Severity == diag.Error {
			errors++
		} else {
			warnings++
		}
	}
	switch format {
	case "json":
		err = diag.WriteJSON(c.stdout, res.Diagnostics)
	case "github":
		err = diag.WriteGitHub(c.stdout, res.Diagnostics)
	default:
		err = diag.WriteText(c.stdout, res.Diagnostics, diag.ReadFiles)
		if err == nil {
			fmt.Fprintf(c.stderr, "%d files checked: %s, %s\n", res.Files, plural(errors, "error"), plural(warnings, "warning"))
		}
	}
	if err != nil {
		return usageError{err}
	}
	if errors > 0 {
		return exitStatus(1)
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
