package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/scenario"
)

func init() {
	register("test", "run scenario tests (*.test.yaml) on a virtual clock", runTest)
}

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := fs.String("run", "", "run only the tests whose name matches this regular expression")
	db := fs.String("db", "", "run on PostgreSQL at this URL (a fresh schema per test) instead of in memory")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: afterglow test [--run REGEX] [--db URL] PATH...")
		fmt.Fprintln(stderr, "\nRuns the scenario tests found under PATH. Exit status: 0 all pass, 1 a failure, 2 usage.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	suite := &scenario.Suite{NewStore: func(ctx context.Context) (store.Store, func(), error) {
		return memstore.New(), func() {}, nil
	}}
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintln(stderr, "afterglow test: --run:", err)
			return 2
		}
		suite.Filter = re
	}
	if *db != "" {
		ns, closeDB, err := postgresTestStores(*db)
		if err != nil {
			fmt.Fprintln(stderr, "afterglow test:", err)
			return 2
		}
		defer closeDB()
		suite.NewStore = ns
	}
	files, err := scenario.Find(paths)
	if err != nil {
		fmt.Fprintln(stderr, "afterglow test:", err)
		return 2
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "afterglow test: no *.test.yaml files under", paths)
		return 1
	}
	passed, failed := 0, 0
	suite.Run(context.Background(), files, func(fr scenario.FileResult) {
		switch {
		case fr.Skipped:
		case len(fr.Diagnostics) > 0:
			failed++
			fmt.Fprintf(stdout, "FAIL  %s: the test cannot run\n", fr.File)
			_ = diag.WriteText(stdout, fr.Diagnostics, diag.ReadFiles)
		case fr.Result.Err != nil:
			failed++
			fmt.Fprintf(stdout, "FAIL  %s (%s): %v\n", fr.Result.Name, fr.File, fr.Result.Err)
		case !fr.Result.Pass:
			failed++
			fmt.Fprintf(stdout, "FAIL  %s (%s)\n%s", fr.Result.Name, fr.File, fr.Result.Report)
		default:
			passed++
			fmt.Fprintf(stdout, "ok    %s (%s) %s\n", fr.Result.Name, fr.File, fr.Result.Duration.Round(1e5))
		}
	})
	fmt.Fprintf(stderr, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}
