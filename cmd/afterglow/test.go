package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/scenario"
	"github.com/spf13/cobra"
)

func init() { addCommand(newTestCmd) }

func newTestCmd(c *cli) *cobra.Command {
	var run, db string
	cmd := &cobra.Command{
		Use:   "test [--run REGEX] [--db URL] [PATH...]",
		Short: "Run scenario tests (*.test.yaml) on a virtual clock",
		Long: `Runs the scenario tests found under each PATH (default: the current folder): customers and events
on a virtual clock, and the messages and journeys that must come out. In memory by default; with
--db on PostgreSQL, each test in a fresh schema dropped afterwards.

Exit status: 0 all pass, 1 a test failed, 2 usage.`,
		Example: `  afterglow test flows
  afterglow test examples/shop/tests --run 'Laura'
  afterglow test flows --db postgres://postgres@127.0.0.1:5432/postgres`,
		RunE: func(_ *cobra.Command, paths []string) error {
			return runTest(c, paths, run, db)
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "run only the tests whose name matches this regular expression")
	cmd.Flags().StringVar(&db, "db", "", "run on PostgreSQL at this URL (a fresh schema per test) instead of in memory")
	return cmd
}

func runTest(c *cli, paths []string, run, db string) error {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	suite := &scenario.Suite{NewStore: func(ctx context.Context) (store.Store, func(), error) {
		return memstore.New(), func() {}, nil
	}}
	if run != "" {
		re, err := regexp.Compile(run)
		if err != nil {
			return usagef("--run: %v", err)
		}
		suite.Filter = re
	}
	if db != "" {
		ns, closeDB, err := postgresTestStores(db)
		if err != nil {
			return usageError{err}
		}
		defer closeDB()
		suite.NewStore = ns
	}
	files, err := scenario.Find(paths)
	if err != nil {
		return usageError{err}
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.test.yaml files under %v", paths)
	}
	passed, failed := 0, 0
	suite.Run(context.Background(), files, func(fr scenario.FileResult) {
		switch {
		case fr.Skipped:
		case len(fr.Diagnostics) > 0:
			failed++
			fmt.Fprintf(c.stdout, "FAIL  %s: the test cannot run\n", fr.File)
			_ = diag.WriteText(c.stdout, fr.Diagnostics, diag.ReadFiles)
		case fr.Result.Err != nil:
			failed++
			fmt.Fprintf(c.stdout, "FAIL  %s (%s): %v\n", fr.Result.Name, fr.File, fr.Result.Err)
		case !fr.Result.Pass:
			failed++
			fmt.Fprintf(c.stdout, "FAIL  %s (%s)\n%s", fr.Result.Name, fr.File, fr.Result.Report)
		default:
			passed++
			fmt.Fprintf(c.stdout, "ok    %s (%s) %s\n", fr.Result.Name, fr.File, fr.Result.Duration.Round(1e5))
		}
	})
	fmt.Fprintf(c.stderr, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitStatus(1)
	}
	return nil
}
