package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/connectors"
	_ "github.com/afterglowhq/afterglow/connectors/all"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/spf13/cobra"
)

func init() { addCommand(newConnectorsCmd) }

func newConnectorsCmd(c *cli) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "connectors [--json] [NAME...]",
		Short: "List the channel connectors and their settings",
		Long: `Lists the connectors a channel can use in afterglow.yaml, the content shapes they carry, and the
settings they take under ` + "`with:`" + `.`,
		Example: `  afterglow connectors
  afterglow connectors smtp --json`,
		RunE: func(_ *cobra.Command, names []string) error {
			return runConnectors(c, names, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print each connector's settings schema as JSON")
	return cmd
}

func runConnectors(c *cli, names []string, asJSON bool) error {
	stdout := c.stdout
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := connectors.Lookup(n); !ok {
			return usagef("no connector %q; the connectors are %s", n, strings.Join(connectors.Names(), ", "))
		}
		want[n] = true
	}
	for _, s := range connectors.All() {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		if asJSON {
			fmt.Fprintf(stdout, "%s\n", s.Schema)
			continue
		}
		var shapes []string
		for _, sh := range s.Shapes {
			shapes = append(shapes, string(sh))
		}
		fmt.Fprintf(stdout, "%s — %s\n  carries: %s\n", s.Name, s.Summary, strings.Join(shapes, ", "))
		var schema struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		_ = json.Unmarshal(s.Schema, &schema)
		req := map[string]bool{}
		for _, r := range schema.Required {
			req[r] = true
		}
		var names []string
		for n := range schema.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			mark := " "
			if req[n] {
				mark = "*"
			}
			fmt.Fprintf(stdout, "  %s %-22s %s\n", mark, n, schema.Properties[n].Description)
		}
		fmt.Fprintln(stdout)
	}
	if !asJSON {
		fmt.Fprintln(stdout, "* required. Any value may be ${VAR}, read from the environment when the engine starts.")
	}
	return nil
}
