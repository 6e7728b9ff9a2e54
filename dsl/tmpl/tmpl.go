// Package tmpl parses Liquid templates and renders them within bounds of time and memory.
//
// Liquid has loops, assignments and filters, so a template can ask for a billion rounds or a text
// doubled forty times. The bounds hold at the places every such cost passes through: each round
// of a loop counts the nodes of its body and looks at the clock; each filter is given the
// message's budget, refuses arguments or results past the bounds, and counts what it builds; a
// capture writes into a bounded buffer; the output is bounded. The library's own tags and filters
// do the work: the template tree is rewritten after parsing to put the counting in.
package tmpl

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/osteele/liquid/expressions"
	"github.com/osteele/liquid/filters"
	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
	"github.com/osteele/liquid/tags"
)

// The bounds of rendering one message, all its fields together. An email of a shop renders in
// well under a millisecond and a few tens of kilobytes; these leave it thousands of times that,
// and stop a loop over a range of a billion or a text doubled forty times in a moment.
const (
	// MaxSteps bounds the work of loops: each round counts the nodes of the loop's body. A round
	// costs about a microsecond.
	MaxSteps = 100_000
	// MaxValue bounds one text a filter or a capture makes, in bytes.
	MaxValue = 1 << 20
	// MaxOutput bounds the rendered text of a message, in bytes.
	MaxOutput = 1 << 20
	// MaxBuilt bounds everything a message's rendering makes: filter results, captures, output.
	MaxBuilt = 16 << 20
	// MaxTime bounds the wall-clock time of a message's rendering. The bounds above stop anything
	// that comes near it; this one is there for what they do not foresee, and is generous because
	// a busy machine stretches wall-clock time for a rendering that does nothing wrong.
	MaxTime = 2 * time.Second
)

// timeLimit is MaxTime; tests that check a counted bound raise it, so that a slow machine (or the
// race detector, ten times slower) does not reach the clock first.
var timeLimit = MaxTime

// ErrLimit marks a rendering stopped by one of its bounds.
var ErrLimit = errors.New("rendering went past its limits")

// Budget is what the rendering of one message may still spend. A Budget serves one rendering
// at a time.
type Budget struct {
	steps, built, output int
	checks               int
	deadline             time.Time
	err                  error
}

// NewBudget starts the budget of a message: its clock starts now.
func NewBudget() *Budget { return &Budget{deadline: time.Now().Add(timeLimit)} }

// Err is the bound the rendering broke, or nil.
func (b *Budget) Err() error { return b.err }

func (b *Budget) fail(format string, args ...any) error {
	if b.err == nil {
		b.err = fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
	}
	return b.err
}

// check looks at the clock every few calls: reading it costs as much as a small filter, and
// what happens between two readings is bounded by the other bounds.
func (b *Budget) check() error {
	if b.err != nil {
		return b.err
	}
	if b.checks++; b.checks%8 == 1 && time.Now().After(b.deadline) {
		return b.fail("it took longer than %v", timeLimit)
	}
	return nil
}

func (b *Budget) step(weight int) error {
	if b.err != nil {
		return b.err
	}
	b.steps += weight
	if b.steps > MaxSteps {
		return b.fail("its loops ran more than %d steps, each round counting the tags and texts inside its loop", MaxSteps)
	}
	return b.check()
}

func (b *Budget) grow(n int) error {
	if b.err != nil {
		return b.err
	}
	if n > MaxBuilt-b.built {
		return b.fail("it made more than %d MiB of text and lists", MaxBuilt>>20)
	}
	b.built += n
	return b.check()
}

// budgetKey holds the budget among a rendering's variables, where tags find it. Liquid cannot
// name it: it is not an identifier.
const budgetKey = "\x00budget"

func budgetOf(ctx render.Context) *Budget {
	b, _ := ctx.Get(budgetKey).(*Budget)
	return b
}

// Template is a parsed template.
type Template struct {
	src  string
	root render.Node
}

// Source is the template's text as written.
func (t *Template) Source() string { return t.src }

// Parse parses a template. Its errors are Liquid's, with the line counted from 0.
func Parse(src string) (*Template, error) {
	g := grammar()
	root, err := g.cfg.Compile(src, parser.SourceLoc{})
	if err != nil {
		return nil, err
	}
	root = g.rewrite(root)
	return &Template{src: src, root: root}, nil
}

// Render fills the template with vars, charging b. A rendering stopped by a bound returns an
// error that wraps ErrLimit and says where.
func (t *Template) Render(vars map[string]any, b *Budget) (out string, err error) {
	if err := b.check(); err != nil {
		return "", err
	}
	bindings := make(map[string]any, len(vars)+1)
	for k, v := range vars {
		bindings[k] = v
	}
	bindings[budgetKey] = b
	s := sessions.Get().(*session)
	s.b = b
	s.lookup, _ = vars[LookupVar].(*products.Lookup)
	defer func() {
		s.b, s.lookup = nil, nil
		sessions.Put(s)
	}()
	w := &output{b: b}
	defer func() {
		// Liquid panics when a writer fails (tablerow, flushing) and re-panics errors of
		// filters it does not know; neither may take the process down.
		if r := recover(); r != nil {
			out, err = "", t.failure(fmt.Errorf("%v", r), b)
		}
	}()
	if rerr := render.Render(t.root, w, bindings, s.cfg); rerr != nil {
		return "", t.failure(rerr, b)
	}
	return w.String(), nil
}

// failure words a rendering error: a broken bound says which, and where.
func (t *Template) failure(err error, b *Budget) error {
	if b.err == nil {
		return err
	}
	le := &LimitError{Err: b.err}
	var at parser.Error
	if errors.As(err, &at) {
		le.Line, le.Tag = at.LineNumber(), at.Path()
	}
	return le
}

// LimitError is a rendering stopped by a bound, with where it stopped when known.
type LimitError struct {
	Err  error  // wraps ErrLimit
	Line int    // the line of the template, from 1; 0 when not known
	Tag  string // the tag or output being rendered there
}

func (e *LimitError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%v (line %d: %s)", e.Err, e.Line, e.Tag)
	}
	return e.Err.Error()
}

func (e *LimitError) Unwrap() error { return e.Err }

// output is a message's rendered text, bounded.
type output struct {
	strings.Builder
	b *Budget
}

func (w *output) Write(p []byte) (int, error) {
	if w.b.output+len(p) > MaxOutput {
		return 0, w.b.fail("its text is longer than %d KiB", MaxOutput>>10)
	}
	if err := w.b.grow(len(p)); err != nil {
		return 0, err
	}
	w.b.output += len(p)
	return w.Builder.Write(p)
}

// buffer is the text of a capture, bounded.
type buffer struct {
	strings.Builder
	b *Budget
}

func (w *buffer) Write(p []byte) (int, error) {
	if w.Len()+len(p) > MaxValue {
		return 0, w.b.fail("a capture made a text longer than %d KiB", MaxValue>>10)
	}
	if err := w.b.grow(len(p)); err != nil {
		return 0, err
	}
	return w.Builder.Write(p)
}

// setup is the grammar templates are parsed with, and the pieces the rewriting puts in.
type setup struct {
	cfg     render.Config
	filters map[string]any // the filters, unbounded, by name
}

var grammar = sync.OnceValue(func() *setup {
	s := &setup{cfg: render.NewConfig(), filters: map[string]any{}}
	filters.AddStandardFilters(filterSet(s.filters))
	s.filters["money"] = moneyFilter
	for name, f := range lookupFilters(func() *products.Lookup { return nil }) {
		s.filters[name] = f // what the checks see; each session has its own, reading its lookup
	}
	tags.AddStandardTags(s.cfg)
	// include reads a file of the server's disk into the message: nothing a template may do.
	s.cfg.AddTag("include", func(string) (func(io.Writer, render.Context) error, error) {
		return nil, errors.New("include is not available: a template cannot read files; put the text in the template")
	})
	s.cfg.AddTag(tickTag, func(args string) (func(io.Writer, render.Context) error, error) {
		weight, err := strconv.Atoi(strings.TrimSpace(args))
		if err != nil {
			return nil, err
		}
		return func(_ io.Writer, ctx render.Context) error {
			if b := budgetOf(ctx); b != nil {
				return b.step(weight)
			}
			return nil
		}, nil
	})
	s.cfg.AddBlock(captureTag).Compiler(func(node render.BlockNode) (func(io.Writer, render.Context) error, error) {
		name := strings.TrimSpace(node.Args)
		return func(_ io.Writer, ctx render.Context) error {
			b := budgetOf(ctx)
			if b == nil {
				return errors.New("capture without a budget")
			}
			buf := &buffer{b: b}
			if err := ctx.RenderChildren(buf); err != nil {
				return err
			}
			ctx.Set(name, buf.String())
			return nil
		}, nil
	})
	return s
})

// filterSet records the filters Liquid defines.
type filterSet map[string]any

func (f filterSet) AddFilter(name string, fn any) { f[name] = fn }

// Filters are the names of the filters templates may use.
func Filters() []string {
	var out []string
	for n := range grammar().filters {
		out = append(out, n)
	}
	return out
}

// HasFilter reports whether templates may use the named filter.
func HasFilter(name string) bool {
	_, ok := grammar().filters[name]
	return ok
}

// The tags the rewriting puts in. A template may write them too; they only count.
const (
	tickTag    = "afterglow_tick"
	captureTag = "afterglow_capture"
)

// rewrite puts the counting into a parsed template: a tick at the start of each loop's body, and
// the bounded capture in place of Liquid's. It also names each node's own text as its location,
// so that an error says the line and the tag where it happened.
func (s *setup) rewrite(n render.Node) render.Node {
	switch x := n.(type) {
	case *render.SeqNode:
		for i, c := range x.Children {
			x.Children[i] = s.rewrite(c)
		}
	case *render.BlockNode:
		locate(&x.Token)
		for i, c := range x.Body {
			x.Body[i] = s.rewrite(c)
		}
		for _, c := range x.Clauses {
			s.rewrite(c)
		}
		switch x.Name {
		case "for", "tablerow":
			tick := s.compileOne(fmt.Sprintf("{%% %s %d %%}", tickTag, weight(x.Body)), x.Token)
			x.Body = append([]render.Node{tick}, x.Body...)
		case "capture":
			c := s.compileOne(fmt.Sprintf("{%% %s %s %%}{%% end%s %%}", captureTag, x.Args, captureTag), x.Token).(*render.BlockNode)
			c.Body = x.Body
			return c
		}
	case *render.TagNode:
		locate(&x.Token)
	case *render.ObjectNode:
		locate(&x.Token)
	}
	return n
}

// locate makes a token its own location: its text as the path (what Liquid's errors end with),
// and its line counted from 1.
func locate(t *parser.Token) {
	t.SourceLoc = parser.SourceLoc{Pathname: t.Source, LineNo: t.SourceLoc.LineNo + 1}
}

// compileOne compiles a single tag or block written by the rewriting, located at the token it
// stands for.
func (s *setup) compileOne(src string, at parser.Token) render.Node {
	root, err := s.cfg.Compile(src, parser.SourceLoc{})
	if err != nil {
		panic(fmt.Sprintf("tmpl: %s does not compile: %v", src, err)) // the rewriting wrote it
	}
	n := root.(*render.SeqNode).Children[0]
	switch x := n.(type) {
	case *render.TagNode:
		name := x.Name
		x.Token = at
		x.Name = name
	case *render.BlockNode:
		name := x.Name
		x.Token = at
		x.Name = name
	}
	return n
}

// weight is what one round of a loop with this body counts: its nodes, each branch of each
// condition included, and each inner loop as one (its own rounds count for themselves).
func weight(body []render.Node) int {
	w := 1
	for _, n := range body {
		w++
		switch x := n.(type) {
		case *render.SeqNode:
			w += weight(x.Children)
		case *render.BlockNode:
			if x.Name == "for" || x.Name == "tablerow" {
				continue
			}
			w += weight(x.Body)
			for _, c := range x.Clauses {
				w += weight(c.Body)
			}
		}
	}
	return w
}

// session is a configuration whose filters charge one budget. Liquid gives a filter its
// arguments and nothing else, so the budget is reached through the filter's own closure: each
// session has its own set, and a rendering takes a session for its time.
type session struct {
	cfg    render.Config
	b      *Budget
	lookup *products.Lookup // of the rendering under way, from its LookupVar
}

var sessions = sync.Pool{New: func() any {
	g := grammar()
	s := &session{cfg: g.cfg}
	s.cfg.Config.Config = expressions.NewConfig()
	for name, f := range g.filters {
		s.cfg.AddFilter(name, s.bounded(name, f))
	}
	for name, f := range lookupFilters(func() *products.Lookup { return s.lookup }) {
		s.cfg.AddFilter(name, s.bounded(name, f))
	}
	return s
}}
