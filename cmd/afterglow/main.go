// Command afterglow checks, tests, simulates and runs post-purchase flows.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// cli is what every command writes to: the process's streams, or a test's buffers.
type cli struct {
	stdout, stderr io.Writer
}

// commands build the subcommands. Each command's file adds its own from init, so that a new
// command is one new file.
var commands []func(*cli) *cobra.Command

func addCommand(build func(*cli) *cobra.Command) { commands = append(commands, build) }

// exitStatus ends a command with this status after the command printed why.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// usageError is a mistake in how a command was called (status 2), as opposed to a failure of
// what it was asked to do (status 1): scripts tell the two apart.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// args wraps an argument check so that a wrong count is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "afterglow",
		Short: "Post-purchase flows written as YAML, checked, tested and run",
		Long: `Afterglow runs the flows that bring a shop's customers back after they buy: written as YAML in
git, checked with validate, tested on a virtual clock, and run on PostgreSQL.`,
		Example: `  afterglow validate examples/shop
  afterglow simulate examples/shop --until 60d
  afterglow run --config afterglow.yaml`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_ = cmd.Help()
			return exitStatus(2)
		},
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, build := range commands {
		root.AddCommand(build(c))
	}
	return root
}

// dispatch runs the command line and returns the process's exit status: 0 success, 1 the
// command failed, 2 it was called wrongly.
func dispatch(argv []string, stdout, stderr io.Writer) int {
	root := newRoot(&cli{stdout, stderr})
	root.SetArgs(argv)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var status exitStatus
	if errors.As(err, &status) {
		return int(status)
	}
	name := "afterglow"
	if cmd != nil && cmd != root {
		name = cmd.CommandPath()
	}
	var usage usageError
	if errors.As(err, &usage) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// oneOf checks a flag value against its allowed values.
func oneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if a == value {
			return nil
		}
	}
	return usagef("--%s must be one of %s, not %q", flag, strings.Join(allowed, ", "), value)
}
