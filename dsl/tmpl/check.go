package tmpl

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
)

// Problem is a bound a template breaks whatever the data, at a rune offset of its source.
type Problem struct {
	Offset  int
	Message string
}

// Check finds what breaks a bound whatever the data: loops over ranges written with numbers that
// run past MaxSteps together, and whatever breaks a bound when the template is rendered with
// vars, which should be empty (a text doubled forty times needs no data).
func (t *Template) Check(vars map[string]any) []Problem {
	var ps []Problem
	t.loops(t.root, 1, &ps)
	if len(ps) > 0 {
		return ps
	}
	_, err := t.Render(vars, NewBudget())
	var le *LimitError
	if errors.As(err, &le) {
		off := 0
		if le.Line > 0 {
			off = t.offset(parser.Token{Source: le.Tag, SourceLoc: parser.SourceLoc{LineNo: le.Line}})
		}
		ps = append(ps, Problem{off, le.Err.Error() + "; it does so with no customer data at all, so every message would fail: make the template do less"})
	}
	return ps
}

var literalLoop = regexp.MustCompile(`^\s*[\w-]+\s+in\s+\(\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*\)(.*)$`)
var loopLimit = regexp.MustCompile(`\blimit\s*:\s*(\d+)`)
var loopOffset = regexp.MustCompile(`\boffset\s*:\s*(\d+)`)

// loops reports each loop over a range written with numbers whose rounds, with those of the
// literal loops around it, pass MaxSteps. rounds is the product of the loops around n.
func (t *Template) loops(n render.Node, rounds int, ps *[]Problem) {
	var nodes []render.Node
	switch x := n.(type) {
	case *render.SeqNode:
		nodes = x.Children
	case *render.BlockNode:
		inner := rounds
		if x.Name == "for" || x.Name == "tablerow" {
			if size, ok := literalRounds(x.Args); ok {
				steps := weight(x.Body[1:]) // the tick put in by the rewriting is not the marketer's
				inner = times(rounds, size)
				if times(inner, steps) > MaxSteps {
					*ps = append(*ps, Problem{t.offset(x.Token), fmt.Sprintf(
						"this loop runs %s rounds%s; a message may take at most %d steps, each round counting the tags inside the loop, so it would fail every time",
						big(size), around(rounds), MaxSteps)})
					return
				}
			}
		}
		for _, c := range x.Body {
			t.loops(c, inner, ps)
		}
		for _, c := range x.Clauses {
			t.loops(c, rounds, ps)
		}
		return
	}
	for _, c := range nodes {
		t.loops(c, rounds, ps)
	}
}

// times multiplies, saturating far above every bound.
func times(a, b int) int {
	const ceiling = 1 << 50
	if a == 0 || b == 0 {
		return 0
	}
	if a > ceiling/b {
		return ceiling
	}
	return a * b
}

func around(rounds int) string {
	if rounds <= 1 {
		return ""
	}
	return fmt.Sprintf(", %s times over in the loops around it", big(rounds))
}

func big(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// literalRounds is how many rounds a loop over a range written with numbers takes, after its
// offset and limit.
func literalRounds(args string) (int, bool) {
	m := literalLoop.FindStringSubmatch(args)
	if m == nil {
		return 0, false
	}
	lo, err1 := strconv.Atoi(m[1])
	hi, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return 0, false
	}
	n := 0
	if hi >= lo {
		if hi-lo >= 1<<40 || hi-lo < 0 {
			n = 1 << 40
		} else {
			n = hi - lo + 1
		}
	}
	if o := loopOffset.FindStringSubmatch(m[3]); o != nil {
		off, _ := strconv.Atoi(o[1])
		n = max(n-off, 0)
	}
	if l := loopLimit.FindStringSubmatch(m[3]); l != nil {
		if lim, err := strconv.Atoi(l[1]); err == nil {
			n = min(n, lim)
		}
	}
	return n, true
}

// offset is the rune offset in the source of a located token: its text, looked for from the
// start of its line.
func (t *Template) offset(tok parser.Token) int {
	lineStart := 0
	for i := 1; i < tok.SourceLoc.LineNo; i++ {
		j := strings.IndexByte(t.src[lineStart:], '\n')
		if j < 0 {
			break
		}
		lineStart += j + 1
	}
	off := lineStart
	if tok.Source != "" {
		if i := strings.Index(t.src[lineStart:], tok.Source); i >= 0 {
			off += i
		}
	}
	return utf8.RuneCountInString(t.src[:off])
}
