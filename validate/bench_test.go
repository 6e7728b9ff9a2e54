package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl"
)

// starterLibrary is the workspace the benchmark copies its flows and templates from.
const starterLibrary = "../flows"

var flowID = regexp.MustCompile(`(?m)^flow:\s*(\S+)`)

// writeBenchWorkspace writes a workspace of n flows into dir: the starter library's settings,
// customer schema, event types, catalog and templates, and n copies of its flows, each under its own id, so that the
// workspace is valid and every flow references real templates.
func writeBenchWorkspace(dir string, n int) error {
	var flows [][]byte
	var names []string
	for _, p := range dsl.WalkYAML(starterLibrary) {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(starterLibrary, p)
		switch k := dsl.FileKind(p, b); {
		case k == dsl.KindFlow:
			flows = append(flows, b)
			names = append(names, strings.TrimSuffix(filepath.Base(p), ".yaml"))
		case k == dsl.KindTemplate:
			if err := copyFile(filepath.Join(dir, "templates", filepath.Base(rel)), b); err != nil {
				return err
			}
		}
	}
	if len(flows) == 0 {
		return fmt.Errorf("no flows in %s", starterLibrary)
	}
	settings, err := os.ReadFile(filepath.Join(starterLibrary, "afterglow.yaml"))
	if err != nil {
		return err
	}
	settings = regexp.MustCompile(`(?m)^flows:.*$`).ReplaceAll(settings, []byte("flows: [flows]"))
	settings = regexp.MustCompile(`(?m)^templates:.*$`).ReplaceAll(settings, []byte("templates: [templates]"))
	if err := copyFile(filepath.Join(dir, "afterglow.yaml"), settings); err != nil {
		return err
	}
	events, err := filepath.Glob(filepath.Join(starterLibrary, "events", "*.schema.json"))
	if err != nil {
		return err
	}
	for _, p := range events {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := copyFile(filepath.Join(dir, "events", filepath.Base(p)), b); err != nil {
			return err
		}
	}
	catalog, err := os.ReadFile(filepath.Join(starterLibrary, "catalog", "products.csv"))
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(dir, "catalog", "products.csv"), catalog); err != nil {
		return err
	}
	schema, err := os.ReadFile(filepath.Join(starterLibrary, "schemas", "customer.schema.json"))
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(dir, "schemas", "customer.schema.json"), schema); err != nil {
		return err
	}
	for i := range n {
		j := i % len(flows)
		id := fmt.Sprintf("%s-%04d", names[j], i)
		src := flowID.ReplaceAll(flows[j], []byte("flow: "+id))
		if err := copyFile(filepath.Join(dir, "flows", fmt.Sprintf("%02d", i%50), id+".yaml"), src); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

func BenchmarkValidate1000Flows(b *testing.B) {
	dir := b.TempDir()
	if err := writeBenchWorkspace(dir, 1000); err != nil {
		b.Fatal(err)
	}
	// The workspace must be clean, or the benchmark would measure error reporting.
	res, err := Paths([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		b.Fatalf("the generated workspace has diagnostics, first: %s", res.Diagnostics[0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Paths([]string{dir}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchWorkspace keeps the generator honest: it must produce n distinct, valid flows. With
// AFTERGLOW_BENCH_WS set, it writes the 1,000-flow workspace there instead, to time the command:
//
//	AFTERGLOW_BENCH_WS=/tmp/bench-ws go test -run TestBenchWorkspace ./validate/
//	/usr/bin/time -v afterglow validate /tmp/bench-ws
func TestBenchWorkspace(t *testing.T) {
	dir, n := t.TempDir(), 30
	if d := os.Getenv("AFTERGLOW_BENCH_WS"); d != "" {
		if err := os.RemoveAll(d); err != nil {
			t.Fatal(err)
		}
		dir, n = d, 1000
	}
	if err := writeBenchWorkspace(dir, n); err != nil {
		t.Fatal(err)
	}
	res, err := Paths([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Diagnostics) > 0 {
		t.Fatalf("diagnostics: %v", res.Diagnostics)
	}
	flows := 0
	for _, p := range dsl.WalkYAML(filepath.Join(dir, "flows")) {
		if b, _ := os.ReadFile(p); dsl.FileKind(p, b) == dsl.KindFlow {
			flows++
		}
	}
	if flows != n {
		t.Errorf("%d flows written, want %d", flows, n)
	}
}
