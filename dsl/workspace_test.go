package dsl

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/afterglowhq/afterglow/connectors/console"
	"github.com/afterglowhq/afterglow/dsl/diag"
)

// writeTree creates files (path -> content) under a temporary folder and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const testSettings = "flows: [flows]\ntemplates: [templates]\nchannels:\n  email: {connector: console}\n"

const testTemplate = "template: thanks\nchannel: email\ndefault_locale: es\nlocales:\n  es: {subject: Hola, text: \"Hola {{ unsubscribe_url }}\"}\n"

func flowSrc(id string) string {
	return "flow: " + id + "\ntrigger: {event: order.placed}\nsteps:\n  - id: a\n    send: {channel: email, template: thanks, category: transactional}\n"
}

func TestWorkspaceDuplicates(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string // file:line:col code, each must be reported
		flows int
	}{
		{
			name: "flow id in two files, both named",
			files: map[string]string{
				"flows/welcome.yaml": flowSrc("welcome"), "flows/old/welcome.yaml": flowSrc("welcome"),
				"templates/t.yaml": testTemplate,
			},
			want:  []string{"flows/welcome.yaml:1:7 duplicate-flow flows/old/welcome.yaml", "flows/old/welcome.yaml:1:7 duplicate-flow flows/welcome.yaml"},
			flows: 1,
		},
		{
			name: "a broken flow still claims its id",
			files: map[string]string{
				"flows/welcome.yaml":     flowSrc("welcome") + "  - id: b\n    wait: 3 days\n",
				"flows/old/welcome.yaml": flowSrc("welcome"),
				"templates/t.yaml":       testTemplate,
			},
			want: []string{"flows/welcome.yaml:1:7 duplicate-flow flows/old/welcome.yaml", "flows/old/welcome.yaml:1:7 duplicate-flow flows/welcome.yaml",
				"flows/welcome.yaml:7:11 duration without spaces"},
			flows: 1,
		},
		{
			name: "template name in two files, both named",
			files: map[string]string{
				"flows/thanks.yaml": flowSrc("thanks"),
				"templates/t.yaml":  testTemplate, "templates/u.yaml": "# copy\n" + testTemplate,
			},
			want:  []string{"templates/t.yaml:1:11 duplicate-template templates/u.yaml:2", "templates/u.yaml:2:11 duplicate-template templates/t.yaml:1"},
			flows: 1,
		},
		{
			name: "empty and unknown files",
			files: map[string]string{
				"flows/thanks.yaml": flowSrc("thanks"), "templates/t.yaml": testTemplate,
				"flows/empty.yaml": "", "flows/notes.yaml": "# to do\n", "templates/x.yaml": "# t\nTemplate: y\n",
			},
			want: []string{"flows/empty.yaml:1:1 empty-file", "flows/notes.yaml:1:1 empty-file",
				`templates/x.yaml:2:1 file-kind did you mean "template"`},
			flows: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.files["afterglow.yaml"] = testSettings
			dir := writeTree(t, c.files)
			var l diag.List
			w := LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), func(p string) string {
				r, _ := filepath.Rel(dir, p)
				return filepath.ToSlash(r)
			}, &l)
			got := l.Items()
			for _, want := range c.want {
				at, rest, _ := strings.Cut(want, " ")
				code, text, _ := strings.Cut(rest, " ")
				found := false
				for _, d := range got {
					if d.File+":"+strconv.Itoa(d.Line)+":"+strconv.Itoa(d.Col) == at && d.Code == code && strings.Contains(d.Message, text) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing %s; got %v", want, got)
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("got %d diagnostics, want %d: %v", len(got), len(c.want), got)
			}
			if len(w.Flows) != c.flows {
				t.Errorf("workspace kept %d flows, want %d", len(w.Flows), c.flows)
			}
		})
	}
}

func itoa2(line, col int) string { return strconv.Itoa(line) + ":" + strconv.Itoa(col) }
func TestWalkYAMLFollowsALinkedRoot(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "..2025_10_01", "flows")
	os.MkdirAll(real, 0o755)
	os.WriteFile(filepath.Join(real, "a.yaml"), []byte("flow: a\n"), 0o644)
	os.MkdirAll(filepath.Join(real, ".hidden"), 0o755)
	os.WriteFile(filepath.Join(real, ".hidden", "b.yaml"), []byte("flow: b\n"), 0o644)
	link := filepath.Join(dir, "flows")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	got := WalkYAML(link)
	if len(got) != 1 || got[0] != filepath.Join(link, "a.yaml") {
		t.Fatalf("got %v, want the file under the linked folder, named through the link", got)
	}
}

// A folder or customer schema named by an absolute path in afterglow.yaml is taken as it is, as
// a deployment that keeps its flows in a mounted volume writes it.
func TestSettingsAbsolutePaths(t *testing.T) {
	shared := writeTree(t, map[string]string{
		"lib/flows/a.yaml":          flowSrc("a"),
		"lib/templates/thanks.yaml": testTemplate,
		"lib/customer.schema.json":  `{"type": "object", "properties": {"tier": {"type": "string"}}}`,
	})
	lib := filepath.Join(shared, "lib")
	dir := writeTree(t, map[string]string{
		"afterglow.yaml": "flows: [" + filepath.Join(lib, "flows") + "]\ntemplates: [" + filepath.Join(lib, "templates") + "]\n" +
			"customer_schema: " + filepath.Join(lib, "customer.schema.json") + "\nsecret: ${AFTERGLOW_SECRET}\nchannels:\n  email: {connector: console}\n",
	})
	var l diag.List
	w := LoadWorkspace(filepath.Join(dir, "afterglow.yaml"), nil, &l)
	if l.HasErrors() || w == nil {
		t.Fatalf("a workspace with absolute paths does not load: %v", l.Items())
	}
	if len(w.Flows) != 1 || w.Declared["tier"] == nil {
		t.Errorf("loaded %d flows and attributes %v, want flow a and the declared tier", len(w.Flows), w.Declared)
	}
}
