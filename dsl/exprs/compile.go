package exprs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Problem is a compile-time error, or a warning, located by rune offset in the expression's
// source. A warning does not keep the expression from compiling.
type Problem struct {
	Offset  int
	Code    string
	Message string
	Warning bool
}

// Program is a compiled expression.
type Program struct {
	Source string
	Want   Kind
	prog   *vm.Program
	// Products are the calls of product(), bought() and last_bought(), with the product id when
	// it is written as text, for validate to look up in the catalog.
	Products []ProductRef
}

// needsNow lists the functions whose result depends on the clock; calls get `now` appended.
var needsNow = map[string]bool{"days_since": true, "hours_since": true, "days_until": true}

// Compile checks src in scope and compiles it. want is the kind the place requires (Any for no
// requirement). A nil Program comes with at least one Problem that is not a warning; a Program may
// come with warnings.
func Compile(src string, scope Scope, want Kind) (*Program, []Problem) {
	if strings.TrimSpace(src) == "" {
		return nil, []Problem{{Code: "expr-syntax", Message: "the expression is empty"}}
	}
	orig := src
	src, back := quoteDashedSteps(src)
	located := func(ps []Problem) []Problem {
		for i := range ps {
			ps[i].Offset = back(ps[i].Offset)
		}
		return ps
	}
	typed := newConfig(typedEnv(scope))
	tree, err := parser.ParseWithConfig(src, typed)
	if err != nil {
		return nil, located([]Problem{fromExprError(src, err, "expr-syntax")})
	}
	var warnings []Problem
	if ps := checkNames(orig, tree.Node, scope); len(ps) > 0 {
		var errs []Problem
		for _, p := range ps {
			if p.Warning {
				warnings = append(warnings, p)
			} else {
				errs = append(errs, p)
			}
		}
		warnings = located(warnings)
		if len(errs) > 0 {
			return nil, append(located(errs), warnings...)
		}
	}
	refs := productRefs(tree.Node) // before the lookup is patched in
	for i := range refs {
		refs[i].Offset = back(refs[i].Offset)
	}
	// The typed check finds the mistakes and the kind of the result; it needs no program.
	if _, err := new(checker.Checker).PatchAndCheck(tree, typed); err != nil {
		p := fromExprError(src, err, "expr-type")
		p.Message += decimalHint(tree.Node, scope, p.Message)
		return nil, append(located([]Problem{p}), warnings...)
	}
	got := kindOf(tree.Node.Type())
	if p, bad := wantProblem(want, got); bad {
		return nil, append([]Problem{p}, warnings...)
	}
	// The typed program found the mistakes; the one that runs is compiled without types. With
	// declared types expr specialises `customer.tier != "gold"` to a string comparison that fails on
	// a customer without a tier, where the flow means "true": an unset attribute is not "gold".
	// What is sure to break a bound is an error here rather than a failure at every evaluation:
	// a range written with huge numbers, and what breaks one with no data at all.
	if ps := loopProblems(tree.Node); len(ps) > 0 {
		return nil, append(located(ps), warnings...)
	}
	loose := newConfig(looseEnv(scope))
	loose.Visitors = append(loose.Visitors[:len(loose.Visitors):len(loose.Visitors)], boundsPatcher{})
	run, err := build(src, loose)
	if err != nil {
		return nil, append(located([]Problem{fromExprError(src, err, "expr-type")}), warnings...)
	}
	p := &Program{Source: orig, Want: want, prog: run, Products: refs}
	if _, err := p.Eval(trialVars(scope)); err != nil {
		if lp, ok := limitProblem(err); ok {
			return nil, append(located([]Problem{lp}), warnings...)
		}
	}
	return p, warnings
}

// baseConfig is the compiler configuration every expression shares: Afterglow's functions, no
// wall clock, and `now` passed to the clock-aware functions. expr.Compile rebuilds all of it
// (every built-in function, in a fresh map) for each expression; a workspace has thousands.
var baseConfig = sync.OnceValue(func() *conf.Config {
	c := conf.CreateNew()
	for _, op := range append(append(append(functions(), boundFunctions()...), lookupFunctions()...),
		expr.DisableBuiltin("now"), // the engine's clock is the variable `now`; the wall clock would break tests
		expr.Patch(nowPatcher{}),
		expr.Patch(lookupPatcher{}),
		expr.MaxNodes(MaxNodes),
	) {
		op(c)
	}
	for name := range c.Disabled {
		delete(c.Builtins, name)
	}
	c.Check()
	return c
})

// newConfig returns a configuration for one compilation: the shared tables, which compiling only
// reads, and its own environment and type cache.
func newConfig(env types.Map) *conf.Config {
	c := *baseConfig()
	c.NtCache = nature.Cache{}
	c.WithEnv(env)
	return &c
}

// build does what expr.Compile does, with a prepared configuration.
func build(src string, c *conf.Config) (*vm.Program, error) {
	tree, err := checker.ParseCheck(src, c)
	if err != nil {
		return nil, err
	}
	if c.Optimize {
		if err := optimizer.Optimize(&tree.Node, c); err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				return nil, fe.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return compiler.Compile(tree, c)
}

// typedEnv is the environment of declared types the mistakes are found with.
func typedEnv(scope Scope) types.Map {
	env := make(types.Map, len(scope.Names)+1)
	for n, t := range scope.Names {
		env[n] = t.cachedExprType()
	}
	env[LookupName] = types.Any
	return env
}

// looseEnv names the same variables without types, for the program that runs.
func looseEnv(scope Scope) types.Map {
	env := make(types.Map, len(scope.Names))
	for n := range scope.Names {
		env[n] = types.Any
	}
	env[budgetName] = types.Any
	env[LookupName] = types.Any
	return env
}

// quoteDashedSteps rewrites steps.ID, where the step id has dashes (steps.subject-test.variant),
// as steps["subject-test"].variant: step ids are kebab-case, and expr would read the dashes as
// minus signs. Subtracting from a step's result means nothing, so the rewrite never changes what
// a working expression means. back maps a rune offset in the result to one in src.
func quoteDashedSteps(src string) (string, func(int) int) {
	rs := []rune(src)
	var out []rune
	var back []int
	emit := func(r rune, from int) {
		out = append(out, r)
		back = append(back, from)
	}
	identRune := func(r rune) bool {
		return r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	var quote rune
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if quote != 0 {
			emit(r, i)
			if r == '\\' && i+1 < len(rs) {
				i++
				emit(rs[i], i)
			} else if r == quote {
				quote = 0
			}
			continue
		}
		if r == '"' || r == '\'' || r == '`' {
			quote = r
			emit(r, i)
			continue
		}
		start := i + len("steps.")
		if r != 's' || !strings.HasPrefix(string(rs[i:min(start, len(rs))]), "steps.") || i > 0 && (identRune(rs[i-1]) || rs[i-1] == '.') {
			emit(r, i)
			continue
		}
		end := kebabEnd(rs, start)
		if end < 0 {
			emit(r, i)
			continue
		}
		for k := i; k < start-1; k++ {
			emit(rs[k], k)
		}
		emit('[', start-1)
		emit('"', start)
		for k := start; k < end; k++ {
			emit(rs[k], k)
		}
		emit('"', end)
		emit(']', end)
		i = end - 1
	}
	if len(out) == len(rs) {
		return src, func(n int) int { return n }
	}
	return string(out), func(n int) int {
		if n >= len(back) {
			return len(rs) + n - len(back)
		}
		return back[max(n, 0)]
	}
}

// kebabEnd returns where a kebab-case word with at least one dash, starting at i, ends (the
// index after it), or -1 when there is none.
func kebabEnd(rs []rune, i int) int {
	lower := func(k int) bool { return k < len(rs) && rs[k] >= 'a' && rs[k] <= 'z' }
	alnum := func(k int) bool { return lower(k) || k < len(rs) && rs[k] >= '0' && rs[k] <= '9' }
	if !lower(i) {
		return -1
	}
	k, dashes := i, 0
	for alnum(k) {
		k++
	}
	for k < len(rs) && rs[k] == '-' && alnum(k+1) {
		k++
		dashes++
		for alnum(k) {
			k++
		}
	}
	if dashes == 0 || k < len(rs) && (rs[k] == '_' || rs[k] >= 'A' && rs[k] <= 'Z') {
		return -1
	}
	return k
}

func wantProblem(want, got Kind) (Problem, bool) {
	if want == Any || got == Any || got == want {
		return Problem{}, false
	}
	if want == Float && got == Int {
		return Problem{}, false
	}
	var hint string
	switch want {
	case Bool:
		hint = "; compare it, for example `... > 0` or `... == \"gold\"`"
	case Time:
		hint = "; use a time such as customer.birthday, trigger.time or `now + days(3)`"
	}
	return Problem{Code: "expr-type", Message: fmt.Sprintf("this must give %s, but it gives %s%s", want, got, hint)}, true
}

type nowPatcher struct{}

func (nowPatcher) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || !needsNow[id.Value] || len(c.Arguments) != 1 {
		return
	}
	c.Arguments = append(c.Arguments, &ast.IdentifierNode{Value: "now"})
}

func fromExprError(src string, err error, code string) Problem {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return Problem{Offset: 0, Code: code, Message: err.Error()}
	}
	msg, off := fe.Message, fe.From
	switch {
	case strings.Contains(msg, "is not callable") && strings.HasPrefix(strings.TrimSpace(src[min(fe.From, len(src)):]), "now"):
		msg = "`now` is a value, not a function: write `now` without parentheses"
	case msg == "unexpected token EOF":
		// expr points at the last character; the mistake is usually an opener never closed.
		if at, open := unclosedBracket(src); at >= 0 {
			msg, off = fmt.Sprintf("this %c is never closed", open), at
		} else {
			msg = "the expression stops short: something is missing at its end"
		}
	case msg == "literal not terminated":
		if at := unclosedQuote(src); at >= 0 {
			msg, off = "this text is never closed with its quote", at
		}
	case strings.Contains(msg, "exceeds maximum allowed nodes"):
		msg, off = "the expression is too large to check; split it into shorter conditions", 0
	case msg == `unexpected token Operator("=")`:
		msg = "to compare, write == (a single = is not an operator here)"
	case looksLikeText(src):
		msg, off = fmt.Sprintf(`this is read as an expression; for the text itself, quote it inside the YAML value: '"%s"'`, strings.TrimSpace(src)), 0
	}
	return Problem{Offset: off, Code: code, Message: plainMessage(msg)}
}

// looksLikeText reports whether a value that fails to parse is evidently text meant literally: a
// URL, or words with no operator.
func looksLikeText(src string) bool {
	t := strings.TrimSpace(src)
	if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
		return true
	}
	return plainWords.MatchString(t) && strings.Contains(t, " ")
}

var plainWords = regexp.MustCompile(`^[\p{L}][\p{L}\p{N}'’,.!?¡¿ -]*$`)

var (
	unexpectedToken = regexp.MustCompile(`^unexpected token \w+\("(.*)"\)$`)
	mismatched      = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+) and (.+)\)$`)
	badArgument     = regexp.MustCompile(`^cannot use (.+) as argument \(type (.+)\) to call (\w+)\s*$`)
	nonBool         = regexp.MustCompile(`^non-bool expression \(type (.+)\) used as condition$`)
)

// plainMessage rewords expr's messages, which speak of Go types, in the words of the flow language.
func plainMessage(msg string) string {
	if m := unexpectedToken.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unexpected %q", m[1])
	}
	if m := mismatched.FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("%s cannot be used between %s and %s", m[1], typeWords(m[2]), typeWords(m[3]))
		if m[1] == "contains" && strings.HasPrefix(m[2], "[]") {
			out += `; to look for a value in a list, write "x" in list`
		}
		if m[1] == "+" && (m[2] == "string" || m[3] == "string") {
			out += "; to join text, convert the other side with string(...)"
		}
		return out
	}
	if m := badArgument.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s takes %s, not %s", m[3], typeWords(m[2]), typeWords(m[1]))
	}
	if m := nonBool.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("a condition must be a boolean, not %s", typeWords(m[1]))
	}
	return msg
}

// typeWords names a Go type as the flow language's documentation does.
func typeWords(goType string) string {
	switch goType {
	case "string":
		return "text"
	case "int", "int64":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "time.Time":
		return "a time"
	case "time.Duration":
		return "a duration"
	case "interface {}", "interface{}":
		return "any value"
	case "nil", "<nil>":
		return "nil"
	}
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a map"
	}
	return goType
}

// unclosedBracket returns the offset (in runes) of the innermost bracket left open at the end of
// src, skipping string literals, and the bracket; -1 when all are closed.
func unclosedBracket(src string) (int, rune) {
	type open struct {
		at int
		c  rune
	}
	var stack []open
	var quote rune
	i := 0
	rs := []rune(src)
	for ; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			stack = append(stack, open{i, c})
		case (c == ')' || c == ']' || c == '}') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return -1, 0
	}
	top := stack[len(stack)-1]
	return top.at, top.c
}

// unclosedQuote returns the rune offset of a quote whose text literal never ends, or -1.
func unclosedQuote(src string) int {
	var quote rune
	at := -1
	rs := []rune(src)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote, at = c, i
		}
	}
	if quote == 0 {
		return -1
	}
	return at
}

// checkNames finds names that do not exist where they are used, with a suggestion when the
// mistake is a near miss, before expr's checker would report the first one tersely.
func checkNames(src string, root ast.Node, scope Scope) []Problem {
	w := &nameWalker{src: src, scope: scope, callees: map[ast.Node]bool{}, lets: map[string]bool{}, inner: map[ast.Node]bool{}}
	ast.Walk(&root, preWalker{w})
	ast.Walk(&root, w)
	return w.problems
}

// preWalker collects what the name check must know before it looks at identifiers.
type preWalker struct{ w *nameWalker }

func (p preWalker) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.CallNode:
		p.w.callees[x.Callee] = true
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && needsNow[id.Value] && len(x.Arguments) != 1 {
			p.w.problems = append(p.w.problems, Problem{Offset: loc(x), Code: "expr-type", Message: fmt.Sprintf("%s takes one time, like %s(customer.last_order_at)", id.Value, id.Value)})
		}
		if id, ok := x.Callee.(*ast.IdentifierNode); ok && lookupFuncs[id.Value] != "" && len(x.Arguments) != 1 {
			p.w.problems = append(p.w.problems, Problem{Offset: loc(x), Code: "expr-type", Message: fmt.Sprintf("%s takes %s", id.Value, lookupFuncs[id.Value])})
		}
	case *ast.VariableDeclaratorNode:
		p.w.lets[x.Name] = true
	case *ast.MemberNode:
		p.w.inner[x.Node] = true
	}
}

type nameWalker struct {
	src      string
	scope    Scope
	callees  map[ast.Node]bool
	lets     map[string]bool
	inner    map[ast.Node]bool
	problems []Problem
}

func (w *nameWalker) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.BinaryNode:
		w.checkEnum(x)
	case *ast.IdentifierNode:
		if w.callees[x] {
			w.checkFunc(x)
			return
		}
		w.checkIdent(x)
	case *ast.MemberNode:
		if !w.inner[x] {
			w.checkChain(x)
		}
	}
}

func (w *nameWalker) checkFunc(id *ast.IdentifierNode) {
	if slices.Contains(FunctionNames, id.Value) || isBuiltin(id.Value) {
		return
	}
	if _, ok := w.scope.Names[id.Value]; ok {
		return // expr says it is not callable, with its own message
	}
	cands := append(append([]string{}, builtinNames...), FunctionNames...)
	w.add(loc(id), "expr-name", "unknown function %s%s", id.Value, diag.DidYouMean(id.Value, cands))
}

func (w *nameWalker) checkIdent(id *ast.IdentifierNode) {
	name := id.Value
	if w.lets[name] || name == "$env" {
		return
	}
	if _, ok := w.scope.Names[name]; ok {
		return
	}
	if why, ok := w.scope.Absent[name]; ok {
		w.add(loc(id), "expr-scope", "%s", why)
		return
	}
	cands := w.scope.names()
	hint := ""
	if strings.TrimSpace(w.src) == name {
		// A bare word where a value is expected: most often text meant literally.
		hint = fmt.Sprintf(`; if you meant the text %q, quote it inside the YAML value: '"%s"'`, name, name)
	}
	w.add(loc(id), "expr-name", "unknown name %s%s; the names here are %s%s", name, diag.DidYouMean(name, cands), strings.Join(cands, ", "), hint)
}

// checkChain follows `a.b.c` through the declared types and reports the first field that does
// not exist. The identifier itself is checked by checkIdent.
func (w *nameWalker) checkChain(m *ast.MemberNode) {
	var nodes []*ast.StringNode // per segment, from the first: the name's node, nil for an index
	var segs []string
	var cur ast.Node = m
	for {
		mm, ok := cur.(*ast.MemberNode)
		if !ok {
			break
		}
		switch p := mm.Property.(type) {
		case *ast.StringNode:
			segs, nodes = append(segs, p.Value), append(nodes, p)
		case *ast.IntegerNode:
			segs, nodes = append(segs, "[]"), append(nodes, nil)
		default:
			segs, nodes = nil, nil // computed index: nothing to check statically beyond it
		}
		cur = mm.Node
	}
	var t *Type
	var root string
	switch r := cur.(type) {
	case *ast.IdentifierNode:
		if w.lets[r.Value] {
			return
		}
		var known bool
		if t, known = w.scope.Names[r.Value]; !known {
			return
		}
		root = r.Value
	case *ast.CallNode:
		// product(id).field: the product's fields are known.
		if callee, ok := r.Callee.(*ast.IdentifierNode); !ok || callee.Value != "product" {
			return
		}
		t, root = ProductType, "product(...)"
	default:
		return
	}
	slices.Reverse(segs)
	slices.Reverse(nodes)
	if i, p, bad := PathProblem(t, root, segs); bad {
		p.Offset = loc(nodes[i])
		w.problems = append(w.problems, p)
	}
}

// PathProblem checks a path read from a value of type t written as root (root.seg1.seg2; a
// segment "[]" is a list index), as expressions are checked: a field a closed map lacks is an
// error; on an open map whose fields are declared (Loose), a near miss of a declared field is an
// error or a warning, and another field a warning when Loose says so. It returns the first
// problem with the index of its segment, which is always a name.
func PathProblem(t *Type, root string, segs []string) (int, Problem, bool) {
	path := root
	for i, seg := range segs {
		if t == nil {
			return 0, Problem{}, false
		}
		if seg == "[]" {
			if t.Kind != List || t.Elem == nil {
				return 0, Problem{}, false
			}
			t, path = t.Elem, path+"[]"
			continue
		}
		if t.Kind != Map {
			return 0, Problem{}, false
		}
		ft, ok := t.Fields[seg]
		if !ok {
			if t.Open {
				p, bad := looseProblem(seg, path, t)
				return i, p, bad
			}
			if t.Why != nil {
				if why := t.Why(seg); why != "" {
					return i, Problem{Code: "expr-step", Message: why}, true
				}
			}
			return i, Problem{Code: "expr-field", Message: fmt.Sprintf("%s has no field %q%s", describePath(path), seg, fieldHint(path, seg, t))}, true
		}
		t = ft
		path += "." + seg
	}
	return 0, Problem{}, false
}

// looseProblem tells about a field an open map does not list, when its fields are declared ones
// (event data typed by the event catalog, a customer without a schema): a near miss of a listed
// field is most likely a typo; another field is read as sent, unchecked.
func looseProblem(field, path string, t *Type) (Problem, bool) {
	l := t.Loose
	if l == nil {
		return Problem{}, false
	}
	where := describePath(path)
	if l.Of != "" {
		where += " (" + l.Of + ")"
	}
	if near := diag.Closest(field, t.FieldNames()); near != "" {
		msg := fmt.Sprintf("%s has no field %q (did you mean %q?)", where, field, near)
		if l.TypoError {
			return Problem{Code: "expr-field", Message: msg}, true
		}
		return Problem{Code: "expr-field", Message: msg + "; unless the shop sets it, it is always unset", Warning: true}, true
	}
	if l.Undeclared != "" {
		return Problem{Code: "expr-field", Message: fmt.Sprintf("%s declares no field %q: it is read as sent, unchecked; %s", where, field, l.Undeclared), Warning: true}, true
	}
	return Problem{}, false
}

// checkEnum finds a comparison of an attribute whose values the customer schema lists with a text
// that is not one of them ("gold" misspelt): the condition could never hold.
func (w *nameWalker) checkEnum(b *ast.BinaryNode) {
	var texts []*ast.StringNode
	var typed ast.Node
	switch b.Operator {
	case "==", "!=":
		typed = b.Left
		if s, ok := b.Right.(*ast.StringNode); ok {
			texts = append(texts, s)
		} else if s, ok := b.Left.(*ast.StringNode); ok {
			texts, typed = append(texts, s), b.Right
		}
	case "in", "not in":
		typed = b.Left
		if a, ok := b.Right.(*ast.ArrayNode); ok {
			for _, e := range a.Nodes {
				if s, ok := e.(*ast.StringNode); ok {
					texts = append(texts, s)
				}
			}
		}
	}
	if len(texts) == 0 {
		return
	}
	t, path := w.typeOf(typed)
	if t == nil || len(t.Enum) == 0 {
		return
	}
	for _, s := range texts {
		if !slices.Contains(t.Enum, s.Value) {
			w.add(loc(s), "expr-value", "%s is one of %s, never %q%s", path, strings.Join(t.Enum, ", "), s.Value, diag.DidYouMean(s.Value, t.Enum))
		}
	}
}

// typeOf returns the declared type of a chain like customer.tier, and its path, or nil.
func (w *nameWalker) typeOf(n ast.Node) (*Type, string) {
	var names []string
	for {
		m, ok := n.(*ast.MemberNode)
		if !ok {
			break
		}
		s, ok := m.Property.(*ast.StringNode)
		if !ok {
			return nil, ""
		}
		names = append(names, s.Value)
		n = m.Node
	}
	id, ok := n.(*ast.IdentifierNode)
	if !ok || w.lets[id.Value] {
		return nil, ""
	}
	t := w.scope.Names[id.Value]
	path := id.Value
	for i := len(names) - 1; i >= 0 && t != nil; i-- {
		t = t.Fields[names[i]]
		path += "." + names[i]
	}
	return t, path
}

func describePath(path string) string {
	switch {
	case path == "customer":
		return "customer"
	case path == "steps":
		return "steps"
	case path == "product(...)":
		return "a product"
	case strings.HasPrefix(path, "steps.") && !strings.ContainsAny(path[len("steps."):], ".["):
		return "step " + strings.TrimPrefix(path, "steps.")
	}
	return path
}

func fieldHint(path, field string, t *Type) string {
	names := t.FieldNames()
	hint := diag.DidYouMean(field, names)
	switch path {
	case "customer":
		if hint == "" {
			hint = "; declare the shop's own attributes in the customer schema (customer_schema in afterglow.yaml)"
		}
	case "steps":
		if len(names) == 0 {
			return hint + "; no step before this one produces a value (only wait_for and split steps do)"
		}
		return hint + "; steps.ID names a wait_for or split step that has certainly run before this point: " + strings.Join(names, ", ")
	}
	if t.Fields["data"] != nil && t.Fields["subject"] != nil && hint == "" {
		// An event: what the shop sent is under data.
		return fmt.Sprintf("; an event's own fields are under data, like %s.data.%s", path, field)
	}
	return hint
}

func (w *nameWalker) add(off int, code, format string, args ...any) {
	w.problems = append(w.problems, Problem{Offset: off, Code: code, Message: fmt.Sprintf(format, args...)})
}

func loc(n ast.Node) int { return n.Location().From }

var builtinNames = []string{"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast",
	"findLastIndex", "count", "sum", "groupBy", "sortBy", "reduce", "len", "type", "abs", "ceil", "floor",
	"round", "int", "float", "string", "trim", "trimPrefix", "trimSuffix", "upper", "lower", "split",
	"splitAfter", "replace", "repeat", "join", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix", "max",
	"min", "mean", "median", "toJSON", "fromJSON", "toBase64", "fromBase64", "duration", "date",
	"timezone", "first", "last", "get", "take", "keys", "values", "toPairs", "fromPairs", "reverse", "uniq",
	"concat", "flatten", "sort"}

func isBuiltin(n string) bool { return slices.Contains(builtinNames, n) }

// decimalHint explains a comparison of an amount of money with a text, which never holds: the
// decimal is a number in expressions, whatever form the shop sent it in.
func decimalHint(root ast.Node, scope Scope, msg string) string {
	if !strings.Contains(msg, "cannot be used between") || !strings.Contains(msg, "text") {
		return ""
	}
	w := &nameWalker{scope: scope, lets: map[string]bool{}}
	hint := ""
	ast.Find(root, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryNode)
		if !ok || hint != "" {
			return false
		}
		for _, side := range [][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
			t, path := w.typeOf(side[0])
			if t == nil || !t.Decimal {
				continue
			}
			s, literal := side[1].(*ast.StringNode)
			if other, _ := w.typeOf(side[1]); !literal && (other == nil || other.Kind != String) {
				continue // the text is not this comparison's
			}
			if literal && isNumber(s.Value) {
				hint = fmt.Sprintf("; %s is a decimal amount, a number here even when sent as text: compare it with %s, not %q", path, s.Value, s.Value)
			} else {
				hint = fmt.Sprintf("; %s is a decimal amount, a number here even when sent as text: compare it with a number", path)
			}
			return true
		}
		return false
	})
	return hint
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}
