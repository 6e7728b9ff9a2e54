package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/connectors"
	_ "github.com/afterglowhq/afterglow/connectors/all"
)

func init() {
	register("connectors", "list the channel connectors and their settings", runConnectors)
}

func runConnectors(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("connectors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print each connector's settings schema as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow connectors [--json] [NAME...]")
		fmt.Fprintln(stderr, "\nLists the connectors a channel can use in afterglow.yaml, the content shapes they carry,")
		fmt.Fprintln(stderr, "and the settings they take under `with:`.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	want := map[string]bool{}
	for _, n := range fs.Args() {
		if _, ok := connectors.Lookup(n); !ok {
			fmt.Fprintf(stderr, "afterglow connectors: no connector %q; the connectors are %s\n", n, strings.Join(connectors.Names(), ", "))
			return 2
		}
		want[n] = true
	}
	for _, s := range connectors.All() {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		if *asJSON {
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
	if !*asJSON {
		fmt.Fprintln(stdout, "* required. Any value may be ${VAR}, read from the environment when the engine starts.")
	}
	return 0
}
