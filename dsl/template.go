package dsl

import (
	"regexp"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/message"
	"github.com/afterglowhq/afterglow/schemas"
	"gopkg.in/yaml.v3"
)

// Template is a template file: named content of one shape, in several locales.
type Template struct {
	Name        string
	Shape       message.Shape
	Description string
	Content     *content.Content
	File        string
	Line        int // where the name is written
	Col         int
	DataRefs    []string // the data.NAME variables it uses, which a send step should set
	Source      []byte   // the file's content, kept with the versions of the flows that name it
}

var dataRef = regexp.MustCompile(`(?:^|[^.\w])data\.([A-Za-z_][A-Za-z0-9_]*)`)

// ParseTemplate reads and checks one template file.
func ParseTemplate(file string, src []byte, l *diag.List) *Template {
	root, ok := yamlnode.Parse(file, src, l)
	if !ok {
		return nil
	}
	if c, err := checker(schemas.Template); err != nil {
		l.Errorf(diag.Pos{File: file}, "internal", "%v", err)
	} else {
		c.Check(file, root, l)
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	d := &decoder{file: file, src: src, l: l}
	t := &Template{File: file, Line: 1, Col: 1, Source: src}
	var nn *yaml.Node
	t.Name, nn = d.str(root, "template")
	if nn != nil {
		t.Line, t.Col = nn.Line, nn.Column
	}
	if t.Name != "" && !isKebab(t.Name) {
		d.errorf(nn, "id-format", "%s", kebabMessage(t.Name))
	}
	t.Description, _ = d.str(root, "description")
	shape, sn := d.str(root, "channel")
	if shape == "" {
		return t
	}
	if !content.IsShape(shape) {
		d.errorf(sn, "template-shape", "%q is not a content shape: use email, sms, whatsapp, push or webhook", shape)
		return t
	}
	t.Shape = message.Shape(shape)
	_, dl := yamlnode.Get(root, "default_locale")
	_, locs := yamlnode.Get(root, "locales")
	t.Content = content.Parse(file, src, t.Shape, dl, locs, root, l)
	refs := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		n = yamlnode.Resolve(n)
		if n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode {
			for _, m := range dataRef.FindAllStringSubmatch(n.Value, -1) {
				refs[m[1]] = true
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(locs)
	for r := range refs {
		t.DataRefs = append(t.DataRefs, r)
	}
	sort.Strings(t.DataRefs)
	return t
}

// checkCustomerRefs checks the customer attributes content reads against the customer type: with
// a customer schema, an undeclared one is an error, as in expressions; without one, only a near
// miss of a built-in field is worth a warning, since the shop may set any attribute.
func checkCustomerRefs(c *content.Content, cust *exprs.Type, l *diag.List) {
	if c == nil || cust == nil {
		return
	}
	names := cust.FieldNames()
	reported := 0
	for _, r := range c.CustomerRefs {
		if _, ok := cust.Fields[r.Name]; ok || reported >= content.MaxReports {
			continue
		}
		if !cust.Open {
			reported++
			l.Errorf(r.Pos(), "template-field", "customer has no field %q%s; declare the shop's own attributes in the customer schema", r.Name, diag.DidYouMean(r.Name, names))
		} else if near := diag.Closest(r.Name, names); near != "" {
			reported++
			l.Warnf(r.Pos(), "template-field", "customer has no field %q (did you mean %q?); unless the shop sets it, it renders empty", r.Name, near)
		}
	}
}

// checkEventRefs checks the event data content reads (trigger.data.total) against the types of
// the events where it is sent: scope is the send step's, whose trigger and steps are typed by the
// flow's events. A template is shared by flows, so each flow checks it, and via names the
// template and the flow for messages ("" for content inline in the flow).
func checkEventRefs(c *content.Content, scope exprs.Scope, via string, l *diag.List) {
	if c == nil {
		return
	}
	reported := 0
	for _, r := range c.EventRefs {
		if reported >= content.MaxReports {
			return
		}
		root, segs, offs := splitRef(r.Name)
		t := scope.Names[root]
		if t == nil {
			continue
		}
		i, p, bad := exprs.PathProblem(t, root, segs)
		if !bad {
			continue
		}
		reported++
		code := "template-field"
		if p.Code == "expr-step" {
			code = "template-step"
		}
		if p.Warning {
			l.Warnf(r.PosAt(offs[i]), code, "%s%s", p.Message, via)
		} else {
			l.Errorf(r.PosAt(offs[i]), code, "%s%s", p.Message, via)
		}
	}
}

// splitRef splits a path as templates write it (steps.delivered.event.data.items[0].sku) into its
// root, its segments ("[]" for an index) and the rune offset of each segment.
func splitRef(path string) (root string, segs []string, offs []int) {
	root, rest, _ := strings.Cut(path, ".")
	at := len(root) + 1
	for rest != "" {
		name := rest
		if i := strings.IndexAny(rest, ".["); i >= 0 {
			name = rest[:i]
		}
		if name != "" {
			segs, offs = append(segs, name), append(offs, at)
		}
		at += len(name)
		rest = rest[len(name):]
		switch {
		case strings.HasPrefix(rest, "["):
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return root, segs, offs
			}
			segs, offs = append(segs, "[]"), append(offs, at)
			at += end + 1
			rest = rest[end+1:]
		case strings.HasPrefix(rest, "."):
			at++
			rest = rest[1:]
		}
	}
	return root, segs, offs
}
