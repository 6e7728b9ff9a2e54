package validate

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

var update = flag.Bool("update", false, "rewrite each corpus case's expected.txt with what validate reports")

// corpusDir holds the validation corpus: every folder below it with an expected.txt is a case,
// validated as a whole the way `afterglow validate CASE` would.
const corpusDir = "../testdata/validate"

// A case's expected.txt holds one diagnostic a line, `path:line:col: severity: code`, with paths
// relative to the case folder. Lines starting with `#` are comments, kept by -update; a comment
// `#~ TEXT` also requires some diagnostic's message to contain TEXT, so that the corpus pins the
// hints (did you mean, which files) and not only the codes.
func TestCorpus(t *testing.T) {
	cases := corpusCases(t)
	if len(cases) < 45 {
		t.Errorf("the corpus has %d cases; it should keep at least 45", len(cases))
	}
	root, err := filepath.Abs(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range cases {
		name, _ := filepath.Rel(root, dir)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			exp := filepath.Join(dir, "expected.txt")
			raw, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			comments, want, hints := parseExpected(t, string(raw))
			sortLines(want)
			got, msgs := runCase(t, dir)
			if *update {
				text := strings.Join(append(comments, got...), "\n")
				if text != "" {
					text += "\n"
				}
				if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				want = got
			}
			if d := lineDiff(want, got); d != "" {
				t.Errorf("diagnostics differ from %s (- expected, + reported):\n%s\nreported in full:\n%s", exp, d, strings.Join(msgs, "\n"))
			}
			for _, h := range hints {
				if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, h) }) {
					t.Errorf("no message contains %q; reported:\n%s", h, strings.Join(msgs, "\n"))
				}
			}
		})
	}
}

func corpusCases(t *testing.T) []string {
	var out []string
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "expected.txt" {
			// Absolute, because each case runs from inside its own folder.
			abs, err := filepath.Abs(filepath.Dir(p))
			if err != nil {
				return err
			}
			out = append(out, abs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// runCase validates dir from inside it, so that reported paths are relative to the case folder.
// It returns the diagnostics in the expected.txt form, sorted, and the same with their messages.
func runCase(t *testing.T, dir string) (lines, messages []string) {
	t.Chdir(dir)
	res, err := Paths([]string{"."})
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	ds := slices.Clone(res.Diagnostics)
	slices.SortFunc(ds, func(a, b diag.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Message, b.Message))
	})
	for _, d := range ds {
		l := fmt.Sprintf("%s:%d:%d: %s: %s", filepath.ToSlash(d.File), d.Line, d.Col, d.Severity, d.Code)
		if n := len(lines); n > 0 && lines[n-1] == l {
			messages[n-1] += "\n    also: " + d.Message
			continue
		}
		lines = append(lines, l)
		messages = append(messages, l+": "+d.Message)
	}
	return lines, messages
}

func parseExpected(t *testing.T, s string) (comments, want, hints []string) {
	for i, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		l = strings.TrimRight(l, " \r")
		switch {
		case l == "":
		case strings.HasPrefix(l, "#"):
			comments = append(comments, l)
			if h, ok := strings.CutPrefix(l, "#~ "); ok {
				hints = append(hints, h)
			}
		default:
			if _, err := parseDiagLine(l); err != nil {
				t.Fatalf("expected.txt line %d: %v", i+1, err)
			}
			want = append(want, l)
		}
	}
	return comments, want, hints
}

// parseDiagLine checks the form `path:line:col: severity: code`, so a typo in an expected file
// fails loudly instead of never matching.
func parseDiagLine(l string) (diag.Diagnostic, error) {
	var d diag.Diagnostic
	head, rest, ok := strings.Cut(l, ": ")
	parts := strings.Split(head, ":")
	if !ok || len(parts) < 3 {
		return d, fmt.Errorf("%q is not path:line:col: severity: code", l)
	}
	n := len(parts)
	d.File = strings.Join(parts[:n-2], ":")
	var err1, err2 error
	d.Line, err1 = strconv.Atoi(parts[n-2])
	d.Col, err2 = strconv.Atoi(parts[n-1])
	sev, code, ok := strings.Cut(rest, ": ")
	if err1 != nil || err2 != nil || !ok || (sev != "error" && sev != "warning") || code == "" || strings.Contains(code, " ") {
		return d, fmt.Errorf("%q is not path:line:col: severity: code", l)
	}
	d.Severity, d.Code = diag.Severity(sev), code
	return d, nil
}

// sortLines orders diagnostic lines by file, then line and column as numbers, severity and code.
func sortLines(ls []string) {
	slices.SortStableFunc(ls, func(a, b string) int {
		x, _ := parseDiagLine(a)
		y, _ := parseDiagLine(b)
		return cmp.Or(cmp.Compare(x.File, y.File), cmp.Compare(x.Line, y.Line), cmp.Compare(x.Col, y.Col),
			cmp.Compare(x.Severity, y.Severity), cmp.Compare(x.Code, y.Code))
	})
}

// lineDiff lists the lines only in want (-) and only in got (+); both are sorted the same way.
func lineDiff(want, got []string) string {
	var b strings.Builder
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case i < len(want) && j < len(got) && want[i] == got[j]:
			i++
			j++
		case j >= len(got) || i < len(want) && !slices.Contains(got[j:], want[i]):
			fmt.Fprintf(&b, "- %s\n", want[i])
			i++
		default:
			fmt.Fprintf(&b, "+ %s\n", got[j])
			j++
		}
	}
	return b.String()
}
