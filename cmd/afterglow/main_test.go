package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func run(t *testing.T, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errs bytes.Buffer
	code = dispatch(argv, &out, &errs)
	return out.String(), errs.String(), code
}

// Flags may come after the paths, as people type them.
func TestFlagsAfterArguments(t *testing.T) {
	out, errs, code := run(t, "validate", "../../examples/shop", "--format", "json")
	if code != 0 {
		t.Fatalf("validate PATH --format json: exit %d\n%s", code, errs)
	}
	var diags []any
	if err := json.Unmarshal([]byte(out), &diags); err != nil {
		t.Fatalf("--format after the path was not taken: output is not JSON: %v\n%s", err, out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, argv := range [][]string{
		{},
		{"nope"},
		{"validate"},
		{"validate", "--format", "yaml", "."},
		{"simulate", "a", "b"},
		{"graph", "--no-such-flag", "x.yaml"},
	} {
		_, errs, code := run(t, argv...)
		if code != 2 {
			t.Errorf("afterglow %s: exit %d, want 2 (usage)\n%s", strings.Join(argv, " "), code, errs)
		}
	}
	_, errs, _ := run(t, "validate", "--format", "yaml", ".")
	if !strings.Contains(errs, "--format must be one of text, github, json") || !strings.Contains(errs, "afterglow validate --help") {
		t.Errorf("a wrong --format does not say what is allowed and where help is:\n%s", errs)
	}
}

func TestVersion(t *testing.T) {
	out, _, code := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "afterglow ") || !strings.Contains(out, "go1.") {
		t.Errorf("afterglow version: exit %d, %q", code, out)
	}
}

// A container build has no .git to read the commit from: the linker is given it instead.
func TestVersionFromTheLinker(t *testing.T) {
	defer func(v, c string) { buildVersion, buildCommit = v, c }(buildVersion, buildCommit)
	buildVersion, buildCommit = "v1.4.0", "0123456789abcdef0123456789abcdef01234567"
	out, _, code := run(t, "version")
	// Tests run without VCS information, so the linker's values show.
	if code != 0 || !strings.HasPrefix(out, "afterglow v1.4.0 commit 0123456789ab go1.") {
		t.Errorf("afterglow version with a linked version and commit: exit %d, %q", code, out)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, errs, code := run(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "afterglow") {
			t.Errorf("completion %s: exit %d, %d bytes\n%s", shell, code, len(out), errs)
		}
	}
}

// Every command tells what it does and shows an example in its --help.
func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	root := newRoot(&cli{&bytes.Buffer{}, &bytes.Buffer{}})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" || sub.Parent().Name() == "completion" {
				continue
			}
			if sub.Short == "" || sub.Example == "" {
				t.Errorf("afterglow %s has no summary or no example in its --help", sub.CommandPath())
			}
			out, _, code := run(t, append(strings.Fields(strings.TrimPrefix(sub.CommandPath(), "afterglow ")), "--help")...)
			if code != 0 || !strings.Contains(out, "Examples:") {
				t.Errorf("afterglow %s --help: exit %d, no examples shown", sub.CommandPath(), code)
			}
			walk(sub)
		}
	}
	walk(root)
}
