package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/validate"
)

func init() {
	register("validate", "check flows, templates, settings and scenario tests", runValidate)
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output: text, github (pull-request annotations) or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow validate [--format text|github|json] PATH...")
		fmt.Fprintln(stderr, "\nPATH is a file, a folder (searched recursively) or a workspace. Exit status: 0 clean")
		fmt.Fprintln(stderr, "(warnings allowed), 1 errors found, 2 usage or I/O error.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := oneOf("format", *format, "text", "github", "json"); err != nil {
		fmt.Fprintln(stderr, "afterglow validate:", err)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	res, err := validate.Paths(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "afterglow validate:", err)
		return 2
	}
	errors, warnings := 0, 0
	for _, d := range res.Diagnostics {
		if d.Severity == diag.Error {
			errors++
		} else {
			warnings++
		}
	}
	switch *format {
	case "json":
		err = diag.WriteJSON(stdout, res.Diagnostics)
	case "github":
		err = diag.WriteGitHub(stdout, res.Diagnostics)
	default:
		err = diag.WriteText(stdout, res.Diagnostics, diag.ReadFiles)
		if err == nil {
			fmt.Fprintf(stderr, "%d files checked: %s, %s\n", res.Files, plural(errors, "error"), plural(warnings, "warning"))
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "afterglow validate:", err)
		return 2
	}
	if errors > 0 {
		return 1
	}
	return 0
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
