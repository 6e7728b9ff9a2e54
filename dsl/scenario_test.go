package dsl

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

// A test that names a flow with errors is not told the flow does not exist: the flow's own file
// says what is wrong, and the test's names are still checked against it.
func TestScenarioNamesABrokenFlow(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"afterglow.yaml":     testSettings,
		"templates/t.yaml":   testTemplate,
		"flows/welcome.yaml": flowSrc("welcome") + "  - id: later\n    wait: 2 days\n",
		"flows/thanks.yaml":  flowSrc("thanks"),
	})
	test := `name: welcome
start: 2025-10-14T15:00:00-05:00
until: 1d
events:
  - {at: 0s, type: customer.created, customer: ana}
expect:
  messages:
    - {customer: ana, flow: welcome, step: later}
    - {customer: ana, flow: welcom}
    - {customer: ana, step: latter}
`
	var l diag.List
	load := func(s string) *Workspace { return LoadWorkspace(s, nil, &diag.List{}) }
	ParseScenario(filepath.Join(dir, "tests", "welcome.test.yaml"), []byte(test), &l, func(s string) *Workspace { return load(s) })
	got := l.Items()
	want := []string{`9:29 flow-unknown did you mean "welcome"`, `10:29 step-unknown no flow has a step "latter" (did you mean "later"?)`}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, w := range want {
		d := got[i]
		pos, rest, _ := strings.Cut(w, " ")
		code, text, _ := strings.Cut(rest, " ")
		if pos != strings.Join([]string{strconv.Itoa(d.Line), strconv.Itoa(d.Col)}, ":") || d.Code != code || !strings.Contains(d.Message, text) {
			t.Errorf("got %s; want %s", d, w)
		}
	}
}
