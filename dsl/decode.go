package dsl

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/schemas"
	"gopkg.in/yaml.v3"
)

// decoder reads values out of one file's nodes. The schema check has already reported malformed
// values; the decoder reports what only a parser finds, and reports a bad value only if nothing was
// reported at that exact place yet, so one mistake reads as one diagnostic.
type decoder struct {
	file  string
	src   []byte
	l     *diag.List
	lines yamlnode.Lines // src split, once a position inside a value is needed
	// products is the workspace's catalog, to check the product ids expressions write; nil with
	// none, and noCatalog says the workspace has none (a file checked alone knows nothing).
	products  *products.Catalog
	noCatalog bool
}

// maxProblems bounds the problems reported per expression: the first few are what a reader
// fixes, and locating each one walks the value.
const maxProblems = 10

// valuePos locates a rune offset inside the value of scalar n.
func (d *decoder) valuePos(n *yaml.Node, offset int) diag.Pos {
	if d.lines == nil {
		d.lines = yamlnode.SplitLines(d.src)
	}
	line, col := d.lines.Position(n, offset)
	return diag.Pos{File: d.file, Line: line, Col: col}
}

func (d *decoder) pos(n *yaml.Node) diag.Pos {
	if n == nil {
		return diag.Pos{File: d.file, Line: 1, Col: 1}
	}
	return diag.Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, code, format string, args ...any) {
	d.l.ErrorfOnce(d.pos(n), code, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, code, format string, args ...any) {
	d.l.Warnf(d.pos(n), code, format, args...)
}

func (d *decoder) str(m *yaml.Node, key string) (string, *yaml.Node) {
	_, v := yamlnode.Get(m, key)
	if !yamlnode.IsScalar(v) {
		return "", v
	}
	return v.Value, v
}

func (d *decoder) strings(n *yaml.Node) []string {
	var out []string
	for _, it := range yamlnode.Items(n) {
		if yamlnode.IsScalar(it) {
			out = append(out, it.Value)
		}
	}
	return out
}

func (d *decoder) boolean(m *yaml.Node, key string, def bool) bool {
	_, v := yamlnode.Get(m, key)
	if v == nil || v.ShortTag() != "!!bool" {
		return def
	}
	var b bool
	_ = v.Decode(&b)
	return b
}

func (d *decoder) duration(n *yaml.Node) (time.Duration, bool) {
	if !yamlnode.IsScalar(n) {
		return 0, false
	}
	v, err := timespec.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, "duration", "%v", err)
		return 0, false
	}
	return v, true
}

func (d *decoder) offset(n *yaml.Node) (time.Duration, bool) {
	if !yamlnode.IsScalar(n) {
		return 0, false
	}
	v, err := timespec.ParseOffset(n.Value)
	if err != nil {
		d.errorf(n, "duration", "%v", err)
		return 0, false
	}
	return v, true
}

func (d *decoder) timeOfDay(n *yaml.Node) *timespec.TimeOfDay {
	if !yamlnode.IsScalar(n) {
		return nil
	}
	t, err := timespec.ParseTimeOfDay(n.Value)
	if err != nil {
		d.errorf(n, "time-of-day", "%v", err)
		return nil
	}
	return &t
}

func (d *decoder) location(n *yaml.Node) *time.Location {
	if !yamlnode.IsScalar(n) {
		return nil
	}
	loc, err := timespec.LoadLocation(n.Value)
	if err != nil {
		d.errorf(n, "timezone", "%v", err)
		return nil
	}
	return loc
}

// expr compiles the expression held by scalar n, reporting problems at their own character.
func (d *decoder) expr(n *yaml.Node, scope exprs.Scope, want exprs.Kind) *exprs.Program {
	if n == nil {
		return nil
	}
	if !yamlnode.IsScalar(n) {
		d.errorf(n, "wrong-type", "an expression must be text, like 'customer.orders_count > 1'")
		return nil
	}
	p, problems := exprs.Compile(n.Value, scope, want)
	for _, pr := range problems[:min(len(problems), maxProblems)] {
		if pr.Warning {
			d.l.Warnf(d.valuePos(n, pr.Offset), pr.Code, "%s", pr.Message)
		} else {
			d.l.Errorf(d.valuePos(n, pr.Offset), pr.Code, "%s", pr.Message)
		}
	}
	if p != nil {
		d.productRefs(n, p.Products)
	}
	return p
}

// productRefs warns about product ids written as text that the catalog does not list: a typo
// makes bought() false for everyone. A warning, not an error: a product the shop no longer sells
// is still in its customers' orders.
func (d *decoder) productRefs(n *yaml.Node, refs []exprs.ProductRef) {
	for _, r := range refs {
		switch {
		case d.products != nil && r.ID != "" && d.products.Get(r.ID) == nil:
			what := "no order item names it unless the shop sells it under that id"
			if r.Func == "product" {
				what = "product() of it is nil"
			}
			d.l.Warnf(d.valuePos(n, r.Offset), "unknown-product", "product %q is not in the catalog%s: %s", r.ID, d.products.Suggest(r.ID), what)
		case d.noCatalog && r.Func == "product":
			d.l.Warnf(d.valuePos(n, r.Offset), "unknown-product", "the workspace has no catalog, so product() is always nil; name one with catalog: in afterglow.yaml")
		}
	}
}

// namedExprs compiles a mapping of name: expression in file order.
func (d *decoder) namedExprs(m *yaml.Node, scope exprs.Scope) []NamedExpr {
	var out []NamedExpr
	for _, p := range yamlnode.Pairs(m) {
		out = append(out, NamedExpr{Name: p.Key.Value, Expr: d.expr(p.Value, scope, exprs.Any)})
	}
	return out
}

// eventType checks an event type and warns about a near miss of a type of the event catalog
// (the canonical types and the workspace's own).
func (d *decoder) eventType(n *yaml.Node, known []string) string {
	if !yamlnode.IsScalar(n) {
		return ""
	}
	t := n.Value
	for _, c := range known {
		if c == t {
			return t
		}
	}
	if !eventTypeForm.MatchString(t) {
		return t // the schema says what is wrong with its form
	}
	if near := diag.Closest(t, known); near != "" {
		d.warnf(n, "event-type", "%q is not a type of the event catalog (did you mean %q?); if the shop sends it, declare it in an events folder, or ignore this", t, near)
	}
	return t
}

var eventTypeForm = regexp.MustCompile(schemas.EventTypePattern)

func kebabMessage(s string) string {
	return fmt.Sprintf("%q is not a valid id: use lowercase letters, digits and single dashes, starting with a letter (like thank-you-nps)", s)
}

func isKebab(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.HasSuffix(s, "-") || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
