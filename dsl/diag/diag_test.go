package diag

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDidYouMean(t *testing.T) {
	cases := []struct {
		word  string
		cands []string
		want  string
	}{
		{"chanel", []string{"channel", "template"}, "channel"},
		{"order_count", []string{"orders_count", "total_spent"}, "orders_count"},
		{"sms", []string{"email", "push"}, ""},
		{"tempalte", []string{"template"}, "template"},
		{"x", []string{"x"}, ""},
		{"lenght", []string{"bought", "len"}, "len"}, // as near: the one that starts like the word
	}
	for _, c := range cases {
		if got := Closest(c.word, c.cands); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.word, got, c.want)
		}
	}
}

func TestTextQuotesLineWithCaret(t *testing.T) {
	src := func(string) []byte { return []byte("a: 1\n\tbad: thing\n") }
	var buf bytes.Buffer
	ds := []Diagnostic{{File: "f.yaml", Line: 2, Col: 2, Severity: Error, Code: "x", Message: "boom"}}
	if err := WriteText(&buf, ds, src); err != nil {
		t.Fatal(err)
	}
	want := "f.yaml:2:2: error: boom [x]\n        bad: thing\n        ^\n"
	if buf.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestGitHubEscapes(t *testing.T) {
	var buf bytes.Buffer
	WriteGitHub(&buf, []Diagnostic{{File: "a,b.yaml", Line: 3, Col: 4, Severity: Warning, Code: "c", Message: "50% off\nnow"}})
	want := "::warning file=a%2Cb.yaml,line=3,col=4,title=afterglow c::50%25 off%0Anow\n"
	if buf.String() != want {
		t.Fatalf("got %q", buf.String())
	}
}

func TestListSortsAndDedupes(t *testing.T) {
	var l List
	l.Errorf(Pos{"b", 1, 1}, "c", "m")
	l.Errorf(Pos{"a", 2, 1}, "c", "m")
	l.Errorf(Pos{"a", 2, 1}, "c", "m")
	l.Warnf(Pos{"a", 1, 5}, "w", "m")
	got := l.Items()
	if len(got) != 3 || got[0].Line != 1 || got[1].File != "a" || got[2].File != "b" {
		t.Fatalf("got %v", got)
	}
	var buf bytes.Buffer
	WriteJSON(&buf, nil)
	var arr []any
	if err := json.Unmarshal(buf.Bytes(), &arr); err != nil || arr == nil || !strings.HasPrefix(buf.String(), "[]") {
		t.Fatalf("empty JSON output = %q", buf.String())
	}
}
