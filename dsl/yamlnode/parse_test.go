package yamlnode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
)

func TestParseProblems(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x]\n"
	for i, c := range "bcdefghi" {
		prev := string("abcdefghi"[i])
		bomb += fmt.Sprintf("%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 9), ", "))
	}
	cases := []struct {
		name      string
		src       string
		line, col int
		code, msg string
	}{
		{"tab indent", "flow: x\ntrigger:\n\tevent: a\n", 3, 1, "yaml-syntax", "never tabs"},
		{"tab after spaces", "flow: x\ntrigger:\n  \tevent: a\n", 3, 3, "yaml-syntax", "never tabs"},
		// yaml.v3 names the line before for parser errors; the bracket's own line is wanted.
		{"unclosed bracket", "flow: x\ntags: [a, b\ntrigger: {}\n", 2, 7, "yaml-syntax", "this [ is never closed"},
		{"unclosed inner bracket", "flow: x\ntags: [a, [b, c\ntrigger: {}\n", 2, 11, "yaml-syntax", "this [ is never closed"},
		{"unclosed brace", "flow: x\nsend: {channel: email\nid: y\n", 2, 7, "yaml-syntax", "this { is never closed"},
		{"bracket in quotes", "flow: x\nname: \"[x\"\ntags: ['a]', b\nid: y\n", 3, 7, "yaml-syntax", "this [ is never closed"},
		{"env var in flow mapping", "channels:\n  sms: {connector: twilio, with: {token: ${TOKEN}}}\n", 2, 42, "yaml-syntax", `"${VAR}"`},
		{"block sequence mixed", "- a\nb: 1\n", 2, 1, "yaml-syntax", "expected '-' indicator"},
		{"bad indentation", "a: 1\n  b: 2\n", 2, 1, "yaml-syntax", "mapping values are not allowed"},
		{"unclosed quote", "a: 1\nb: \"abc\nc: 2\n", 2, 1, "yaml-syntax", "end of stream"},
		{"unclosed at the end of a one-line file", "{", 1, 1, "yaml-syntax", "did not find expected node content"},
		{"unclosed at the end of a file", "a: 1\nb: [", 2, 1, "yaml-syntax", "did not find expected node content"},
		{"second document", "flow: a\n---\nflow: b\n", 2, 1, "yaml-documents", "more than one YAML document"},
		{"second document after comment", "flow: a\n# next\n\n---\n# b\nflow: b\n", 4, 1, "yaml-documents", "more than one YAML document"},
		{"duplicate key", "a: 1\nb: 2\na: 3\n", 3, 1, "yaml-duplicate-key", "already defined at line 1"},
		{"number key", "a: 1\n1: x\n", 2, 1, "yaml-key", "not a number (1)"},
		{"list key", "a: 1\n[a]: b\n", 2, 1, "yaml-key", "not a list"},
		{"bool key", "a: {true: x}\n", 1, 5, "yaml-key", "not a boolean"},
		{"empty", "", 1, 1, "empty-file", "the file is empty"},
		{"only comments", "# nothing yet\n\n", 1, 1, "empty-file", "the file is empty"},
		{"only a marker", "---\n", 1, 1, "empty-file", "the file is empty"},
		{"billion laughs", bomb, 6, 8, "yaml-aliases", "alias *e takes the document past"},
		{"alias cycle", "a: &a [x, *a]\n", 1, 11, "yaml-aliases", "contains it"},
		{"too many nodes", "a: [" + strings.Repeat("1, ", MaxNodes) + "1]\n", 1, 1, "yaml-size", "more than 100000 nodes"},
		{"too deep", strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5) + "\n", 1, MaxDepth + 2, "yaml-depth", "deeper than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l diag.List
			Parse("f.yaml", []byte(c.src), &l)
			ds := l.Items()
			if len(ds) == 0 {
				t.Fatalf("no diagnostic; want %s at %d:%d", c.code, c.line, c.col)
			}
			var found bool
			for _, d := range ds {
				if d.Code == c.code {
					found = true
					if d.Line != c.line || d.Col != c.col || !strings.Contains(d.Message, c.msg) {
						t.Errorf("got %d:%d %q; want %d:%d containing %q", d.Line, d.Col, d.Message, c.line, c.col, c.msg)
					}
				}
			}
			if !found {
				t.Errorf("got %v; want code %s", ds, c.code)
			}
		})
	}
}

func TestParseClean(t *testing.T) {
	src := "base: &b {channel: email, category: marketing}\nsend:\n  <<: *b\n  channel: sms\n"
	var l diag.List
	root, ok := Parse("f.yaml", []byte(src), &l)
	if !ok || l.Len() != 0 {
		t.Fatalf("ok=%v %v", ok, l.Items())
	}
	_, send := Get(root, "send")
	got := Value(send).(map[string]any)
	if got["channel"] != "sms" || got["category"] != "marketing" {
		t.Errorf("merge: got %v", got)
	}
}

// A key that is not a string is reported by Parse once; every later reading leaves it out, so a
// schema check never reports it again as an unknown key named "1" or "".
func TestNonStringKeysLeftOut(t *testing.T) {
	var l diag.List
	root, _ := Parse("f.yaml", []byte("a: 1\n1: x\n[b]: y\n"), &l)
	if l.Len() != 2 {
		t.Fatalf("want 2 diagnostics, got %v", l.Items())
	}
	v := Value(root).(map[string]any)
	if len(v) != 1 || v["a"] != int64(1) {
		t.Errorf("Value kept non-string keys: %v", v)
	}
	if len(Pairs(root)) != 1 {
		t.Errorf("Pairs kept non-string keys: %v", Pairs(root))
	}
}

func TestIsBlank(t *testing.T) {
	for src, want := range map[string]bool{"": true, "# a\n\n  # b\n---\n": true, "a: 1\n": false, "# a\nx\n": false} {
		if got := IsBlank([]byte(src)); got != want {
			t.Errorf("IsBlank(%q) = %v", src, got)
		}
	}
}

func TestGet(t *testing.T) {
	var l diag.List
	root, _ := Parse("f.yaml", []byte("base: &b {a: 1, c: 3}\nplain: {a: 2, 1: x}\nmerged: {<<: *b, a: 4}\nalias: *b\n"), &l)
	cases := []struct{ mapping, key, want string }{
		{"plain", "a", "2"}, {"plain", "1", ""}, {"plain", "z", ""},
		{"merged", "a", "4"}, {"merged", "c", "3"}, {"alias", "c", "3"},
	}
	for _, c := range cases {
		_, m := Get(root, c.mapping)
		_, v := Get(m, c.key)
		if got := Scalar(v); got != c.want {
			t.Errorf("%s.%s = %q, want %q", c.mapping, c.key, got, c.want)
		}
	}
}
