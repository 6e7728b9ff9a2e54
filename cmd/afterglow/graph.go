package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/graph"
)

func init() {
	register("graph", "print a flow as a Mermaid flowchart", runGraph)
}

func runGraph(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow graph FLOW.yaml")
		fmt.Fprintln(stderr, "\nPrints the flow as a Mermaid flowchart (paste it in a ```mermaid block on GitHub).")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(stderr, "afterglow graph:", err)
		return 2
	}
	ctx := &dsl.Context{}
	if s := dsl.FindSettings(path); s != "" {
		var wl diag.List
		if ws := dsl.LoadWorkspace(s, nil, &wl); ws != nil {
			ctx = &dsl.Context{Settings: ws.Settings, Templates: ws.Templates, Customer: ws.Customer}
		}
	}
	var l diag.List
	f := dsl.ParseFlow(filepath.Clean(path), src, ctx, &l)
	if f == nil || l.HasErrors() {
		_ = diag.WriteText(stderr, l.Items(), diag.ReadFiles)
		fmt.Fprintln(stderr, "afterglow graph: the flow has errors; fix them first")
		return 1
	}
	if err := graph.Mermaid(stdout, f); err != nil {
		fmt.Fprintln(stderr, "afterglow graph:", err)
		return 1
	}
	return 0
}
