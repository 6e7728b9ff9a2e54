package exprs

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/afterglowhq/afterglow/dsl/valuesize"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// The bounds of one evaluation. A flow's expressions compare a few fields; these leave them
// thousands of times the room they need, and stop a hostile or mistaken one (a loop over a range
// of a billion, a text doubled forty times) in a moment and a few megabytes.
const (
	// MaxNodes bounds the size of an expression, checked when it is compiled.
	MaxNodes = 1000
	// MaxSteps bounds the rounds of the loops of an evaluation (all, any, filter, map, reduce...).
	MaxSteps = 100_000
	// MaxBuilt bounds what an evaluation builds, in bytes: texts it joins, lists and maps it
	// makes, each counted at its full written-out size.
	MaxBuilt = 1 << 20
	// MaxValues bounds the values expr itself counts as it builds them: numbers of a range,
	// items of lists and maps.
	MaxValues = 100_000
	// MaxTime bounds the wall-clock time of an evaluation. The bounds above stop anything that
	// comes near it; this one is there for what they do not foresee, and is generous because a
	// busy machine stretches wall-clock time for an evaluation that does nothing wrong.
	MaxTime = time.Second
)

// timeLimit is MaxTime; tests that check a counted bound raise it, so that a slow machine (or the
// race detector, ten times slower) does not reach the clock first.
var timeLimit = MaxTime

// ErrLimit marks an evaluation stopped by one of its bounds.
var ErrLimit = errors.New("the expression went past its limits")

// budgetName is the variable through which the functions that count reach the evaluation's
// budget. Flows cannot name it: `$budget` is not a name of the language.
const budgetName = "$budget"

// budget is what one evaluation may still spend.
type budget struct {
	steps    int
	built    int
	deadline time.Time
	err      error
}

// late reports whether the evaluation has run past its time. The clock starts at the first
// loop round or built value: an evaluation that does neither is short by construction.
func (b *budget) late() bool {
	now := time.Now()
	if b.deadline.IsZero() {
		b.deadline = now.Add(timeLimit)
	}
	return now.After(b.deadline)
}

func (b *budget) fail(format string, args ...any) error {
	if b.err == nil {
		b.err = fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
	}
	return b.err
}

// step counts one round of a loop and looks at the clock.
func (b *budget) step() error {
	if b.err != nil {
		return b.err
	}
	b.steps++
	if b.steps > MaxSteps {
		return b.fail("its loops run more than %d rounds", MaxSteps)
	}
	if b.steps%64 == 1 && b.late() {
		return b.fail("it runs longer than %v", timeLimit)
	}
	return nil
}

// grow counts n bytes built.
func (b *budget) grow(n int) error {
	if b.err != nil {
		return b.err
	}
	if n > MaxBuilt-b.built {
		return b.fail("it builds more than %d KiB of text and lists", MaxBuilt>>10)
	}
	b.built += n
	if b.late() {
		return b.fail("it runs longer than %v", timeLimit)
	}
	return nil
}

// charge counts a value built, at its written-out size. Measuring stops as soon as it passes
// what is left, so that a list holding the same big list a million times costs no more to
// measure than the budget itself.
func (b *budget) charge(v any) error {
	if b.err != nil {
		return b.err
	}
	return b.grow(valuesize.Of(v, MaxBuilt-b.built+1))
}

// boundFunctions are the functions the patched program calls, each taking the budget first.
// Where expr's own function could build something far larger than its arguments before anyone
// looks (repeat, replace with an empty text, join with a long separator, string and toJSON of a
// list that holds one list many times), the size is worked out before anything is built.
func boundFunctions() []expr.Option {
	fn := func(name string, f func(b *budget, args []any) (any, error)) expr.Option {
		return expr.Function(name, func(args ...any) (any, error) {
			b, _ := args[0].(*budget)
			if b == nil {
				return nil, errors.New(name + " called without a budget")
			}
			return f(b, args[1:])
		})
	}
	builtinFunc := func(name string) func(args ...any) (any, error) {
		f := builtin.Builtins[builtin.Index[name]]
		if f.Func != nil {
			return f.Func
		}
		if f.Safe != nil {
			return func(args ...any) (any, error) {
				out, _, err := f.Safe(args...)
				return out, err
			}
		}
		return func(args ...any) (any, error) { return f.Fast(args[0]), nil }
	}
	str := func(v any) (string, bool) { s, ok := v.(string); return s, ok }
	opts := []expr.Option{
		fn("$step", func(b *budget, args []any) (any, error) {
			if err := b.step(); err != nil {
				return nil, err
			}
			return args[0], b.charge(args[0])
		}),
		fn("$charge", func(b *budget, args []any) (any, error) { return args[0], b.charge(args[0]) }),
		fn("$add", func(b *budget, args []any) (any, error) {
			if s, ok := str(args[0]); ok {
				if t, ok := str(args[1]); ok {
					if err := b.grow(len(s) + len(t)); err != nil {
						return nil, err
					}
					return s + t, nil
				}
			}
			return runtime.Add(args[0], args[1]), nil
		}),
	}
	// Functions whose result is sized before it is built: each returns the size in bytes that
	// calling expr's own function with these arguments would build.
	sized := map[string]func(args []any) int{
		"repeat": func(args []any) int {
			s, _ := str(args[0])
			n := runtime.ToInt(args[1])
			if n > 0 && len(s) > 0 && n > MaxBuilt/len(s) {
				return MaxBuilt + 1
			}
			return len(s) * max(n, 0)
		},
		"replace": func(args []any) int {
			s, _ := str(args[0])
			old, _ := str(args[1])
			repl, _ := str(args[2])
			count := utf8.RuneCountInString(s) + 1
			if old != "" {
				count = strings.Count(s, old)
			}
			if len(args) == 4 && runtime.ToInt(args[3]) >= 0 {
				count = min(count, runtime.ToInt(args[3]))
			}
			return len(s) + count*max(len(repl)-len(old), 0)
		},
		"join": func(args []any) int {
			glue := ""
			if len(args) == 2 {
				glue, _ = str(args[1])
			}
			n := valuesize.Of(args[0], MaxBuilt+1)
			if rv := reflect.ValueOf(args[0]); rv.Kind() == reflect.Slice {
				n += rv.Len() * len(glue)
			}
			return n
		},
		// Printing writes each value about as valuesize counts it; toJSON indents, which costs at
		// most a few bytes an item more.
		"string": func(args []any) int { return valuesize.Of(args[0], MaxBuilt+1) },
		"toJSON": func(args []any) int { return 2 * valuesize.Of(args[0], MaxBuilt+1) },
	}
	for name, size := range sized {
		call := builtinFunc(name)
		opts = append(opts, fn("$"+name, func(b *budget, args []any) (any, error) {
			est := size(args)
			if err := b.grow(est); err != nil {
				return nil, err
			}
			out, err := call(args...)
			if s, ok := out.(string); ok && len(s) > est {
				// The estimate is close, not exact (toJSON indents deep values): count the rest.
				if err := b.grow(len(s) - est); err != nil {
					return nil, err
				}
			}
			return out, err
		}))
	}
	return opts
}

// loopBuiltins run their predicate once per item.
var loopBuiltins = map[string]bool{"all": true, "none": true, "any": true, "one": true, "filter": true,
	"map": true, "count": true, "sum": true, "find": true, "findIndex": true, "findLast": true,
	"findLastIndex": true, "groupBy": true, "sortBy": true, "reduce": true}

// sizedBuiltins are replaced by the functions of the same name in boundFunctions.
var sizedBuiltins = map[string]bool{"repeat": true, "replace": true, "join": true, "string": true, "toJSON": true}

// buildingBuiltins make a new text, list or map at most a few times the size of their arguments:
// what they build is counted once it is built.
var buildingBuiltins = map[string]bool{"trim": true, "trimPrefix": true, "trimSuffix": true, "upper": true,
	"lower": true, "split": true, "splitAfter": true, "fromJSON": true, "toBase64": true, "fromBase64": true,
	"take": true, "keys": true, "values": true, "toPairs": true, "fromPairs": true, "reverse": true,
	"uniq": true, "concat": true, "flatten": true, "sort": true}

// boundsPatcher rewrites the program that runs so that everything that loops or builds counts
// against the evaluation's budget: each round of a loop's predicate, each text joined with +,
// each list or map written with variables in it, each text or list a function builds.
type boundsPatcher struct{}

func (boundsPatcher) Visit(n *ast.Node) {
	call := func(name string, args ...ast.Node) {
		c := &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: append([]ast.Node{&ast.IdentifierNode{Value: budgetName}}, args...)}
		c.Callee.SetLocation((*n).Location())
		c.Arguments[0].SetLocation((*n).Location())
		ast.Patch(n, c)
	}
	switch x := (*n).(type) {
	case *ast.BinaryNode:
		if x.Operator == "+" {
			call("$add", x.Left, x.Right)
		}
	case *ast.BuiltinNode:
		switch {
		case loopBuiltins[x.Name]:
			for _, a := range x.Arguments {
				if p, ok := a.(*ast.PredicateNode); ok {
					body := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "$step"},
						Arguments: []ast.Node{&ast.IdentifierNode{Value: budgetName}, p.Node}}
					body.SetLocation(p.Node.Location())
					p.Node = body
				}
			}
		case sizedBuiltins[x.Name]:
			call("$"+x.Name, x.Arguments...)
		case buildingBuiltins[x.Name]:
			call("$charge", x)
		}
	case *ast.ArrayNode:
		if !constant(x) {
			call("$charge", x)
		}
	case *ast.MapNode:
		if !constant(x) {
			call("$charge", x)
		}
	}
}

// constant reports whether a list or map literal holds only literals: it cannot grow.
func constant(n ast.Node) bool {
	switch x := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode, *ast.NilNode:
		return true
	case *ast.UnaryNode:
		return constant(x.Node)
	case *ast.ArrayNode:
		for _, e := range x.Nodes {
			if !constant(e) {
				return false
			}
		}
		return true
	case *ast.MapNode:
		for _, p := range x.Pairs {
			if pn, ok := p.(*ast.PairNode); !ok || !constant(pn.Key) || !constant(pn.Value) {
				return false
			}
		}
		return true
	}
	return false
}

// loopProblems finds what is certain to break a bound whatever the data: a range written with
// numbers that holds more values than an evaluation may build, and loops over such ranges,
// nested, that together run more rounds than it may take.
func loopProblems(root ast.Node) []Problem {
	var ps []Problem
	var visit func(n ast.Node, rounds int)
	visit = func(n ast.Node, rounds int) {
		if n == nil {
			return
		}
		switch x := n.(type) {
		case *ast.BinaryNode:
			if size, ok := literalRange(x); ok && size > MaxValues {
				ps = append(ps, Problem{Offset: loc(x.Left), Code: "expr-limit", Message: fmt.Sprintf(
					"this range holds %d numbers; an expression may build at most %d values, so it would stop here every time", size, MaxValues)})
				return
			}
		case *ast.BuiltinNode:
			if loopBuiltins[x.Name] && len(x.Arguments) > 0 {
				if size, ok := literalRange(x.Arguments[0]); ok && size <= MaxValues {
					if total := rounds * size; size > 0 && total/size == rounds && total > MaxSteps {
						ps = append(ps, Problem{Offset: loc(x), Code: "expr-limit", Message: fmt.Sprintf(
							"these loops run %d rounds together; an expression may take at most %d, so it would stop here every time", total, MaxSteps)})
						return
					}
					for _, a := range x.Arguments[1:] {
						visit(a, rounds*size)
					}
					return
				}
			}
		}
		for _, c := range children(n) {
			visit(c, rounds)
		}
	}
	visit(root, 1)
	return ps
}

// literalRange returns the size of a range written with two integers (1..100).
func literalRange(n ast.Node) (int, bool) {
	b, ok := n.(*ast.BinaryNode)
	if !ok || b.Operator != ".." {
		return 0, false
	}
	lo, ok1 := literalInt(b.Left)
	hi, ok2 := literalInt(b.Right)
	if !ok1 || !ok2 {
		return 0, false
	}
	if hi < lo {
		return 0, true
	}
	if hi-lo < 0 || hi-lo >= 1<<40 {
		return 1 << 40, true
	}
	return hi - lo + 1, true
}

func literalInt(n ast.Node) (int, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return x.Value, true
	case *ast.UnaryNode:
		if v, ok := literalInt(x.Node); ok && x.Operator == "-" {
			return -v, true
		}
	}
	return 0, false
}

// children lists a node's direct children.
func children(n ast.Node) []ast.Node {
	switch p := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{p.Node}
	case *ast.BinaryNode:
		return []ast.Node{p.Left, p.Right}
	case *ast.ChainNode:
		return []ast.Node{p.Node}
	case *ast.MemberNode:
		return []ast.Node{p.Node, p.Property}
	case *ast.SliceNode:
		return []ast.Node{p.Node, p.From, p.To}
	case *ast.CallNode:
		return append([]ast.Node{p.Callee}, p.Arguments...)
	case *ast.BuiltinNode:
		return p.Arguments
	case *ast.PredicateNode:
		return []ast.Node{p.Node}
	case *ast.VariableDeclaratorNode:
		return []ast.Node{p.Value, p.Expr}
	case *ast.SequenceNode:
		return p.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{p.Cond, p.Exp1, p.Exp2}
	case *ast.ArrayNode:
		return p.Nodes
	case *ast.MapNode:
		return p.Pairs
	case *ast.PairNode:
		return []ast.Node{p.Key, p.Value}
	}
	return nil
}

// trialVars are the values a trial evaluation sees: empty maps for the maps, a fixed moment for
// now, nothing for the rest. What breaks a bound with them breaks it for every customer.
func trialVars(scope Scope) Vars {
	v := Vars{}
	for n, t := range scope.Names {
		switch {
		case n == "now":
			v[n] = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		case t != nil && t.Kind == Map:
			v[n] = map[string]any{}
		default:
			v[n] = nil
		}
	}
	return v
}

// limitProblem turns an evaluation stopped by a bound into a problem located where it stopped.
func limitProblem(err error) (Problem, bool) {
	if !errors.Is(err, ErrLimit) {
		return Problem{}, false
	}
	p := Problem{Code: "expr-limit"}
	var le *limitErr
	if errors.As(err, &le) {
		p.Offset = le.at
		p.Message = le.err.Error() + "; it does so with no customer data at all, so it would every time: make it do less"
	} else {
		p.Message = err.Error()
	}
	return p, true
}

// limitErr is a bound's error with the rune offset where the evaluation stopped.
type limitErr struct {
	err error
	at  int
}

func (e *limitErr) Error() string { return e.err.Error() }
func (e *limitErr) Unwrap() error { return e.err }
