package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/spf13/cobra"
)

func init() { addCommand(newEventsCmd) }

func newEventsCmd(c *cli) *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "events [--markdown] [WORKSPACE]",
		Short: "List the event types and the fields of their data",
		Long: `Lists the event catalog: each canonical event type, what it means, who sends it and the fields
of its data (type, whether required). With a workspace, its own event types too. --markdown writes
the reference page docs/events.md is generated with.`,
		Example: `  afterglow events
  afterglow events examples/shop
  afterglow events --markdown > docs/events.md`,
		Args: args(cobra.MaximumNArgs(1)),
		RunE: func(_ *cobra.Command, a []string) error {
			cat := catalog.Canonical()
			if len(a) == 1 {
				ws, err := loadWorkspace(c, a[0])
				if err != nil {
					return err
				}
				cat = ws.Events
			}
			if markdown {
				return cat.WriteMarkdown(c.stdout)
			}
			return writeEvents(c, cat)
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "write the reference page in Markdown")
	return cmd
}

func writeEvents(c *cli, cat *catalog.Catalog) error {
	for i, name := range cat.Types() {
		t := cat.Lookup(name)
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		kind := ""
		switch {
		case t.Extended:
			kind = " (with the workspace's fields from " + t.File + ")"
		case !t.Canonical:
			kind = " (the workspace's, " + t.File + ")"
		}
		fmt.Fprintf(c.stdout, "%s%s: %s\n", name, kind, t.Description())
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		for _, f := range t.Fields() {
			req := ""
			if f.Required {
				req = "required"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Path, f.Type, req)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.stdout, "\n%d event types; afterglow events --markdown for descriptions and examples\n", len(cat.Types()))
	return nil
}
