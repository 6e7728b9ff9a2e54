package main

import (
	"fmt"
	"path/filepath"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/graph"
	"github.com/spf13/cobra"
)

func init() { addCommand(newGraphCmd) }

func newGraphCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "graph FLOW.yaml",
		Short: "Print a flow as a Mermaid flowchart",
		Long: `Prints the flow as a Mermaid flowchart: paste it in a ` + "```mermaid" + ` block and GitHub draws it in
pull requests and READMEs.`,
		Example: `  afterglow graph flows/thank-you-nps/thank-you-nps.yaml > flow.mmd`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			return runGraph(c, a[0])
		},
	}
}

func runGraph(c *cli, path string) error {
	src, err := wsfile.Read(path, filepath.Dir(path))
	if err != nil {
		return usageError{err}
	}
	ctx := &dsl.Context{}
	if s := dsl.FindSettings(path); s != "" {
		var wl diag.List
		if ws := dsl.LoadWorkspace(s, nil, &wl); ws != nil {
			ctx = ws.Context()
		}
	}
	var l diag.List
	f := dsl.ParseFlow(filepath.Clean(path), src, ctx, &l)
	if f == nil || l.HasErrors() {
		_ = diag.WriteText(c.stderr, l.Items(), diag.ReadFiles)
		fmt.Fprintln(c.stderr, "afterglow graph: the flow has errors; fix them first")
		return exitStatus(1)
	}
	return graph.Mermaid(c.stdout, f)
}
