package dsl

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/message"
	"gopkg.in/yaml.v3"
)

// computed are the customer fields the engine keeps from events; flows cannot overwrite them.
var computed = map[string]bool{"id": true, "orders_count": true, "total_spent": true, "first_order_at": true, "last_order_at": true, "created_at": true}

// steps reads a list of steps. avail holds the steps that have certainly run before the list
// starts on every path to it; it grows as wait_for and split steps pass.
func (fd *flowDecoder) steps(list *yaml.Node, avail map[string]*exprs.Type, parent *Step) []*Step {
	var out []*Step
	avail = maps.Clone(avail)
	var exitedAt *yaml.Node
	for _, n := range yamlnode.Items(list) {
		if exitedAt != nil {
			fd.warnf(n, "unreachable", "this step never runs: the exit step at line %d ends the journey before it", exitedAt.Line)
			exitedAt = nil
		}
		s := fd.step(n, avail, parent)
		if s == nil {
			continue
		}
		out = append(out, s)
		if s.outputs != nil {
			avail[s.ID] = s.outputs
		} else if out := StepOutputs(s.Kind); out != nil {
			avail[s.ID] = out
		}
		if s.Kind == KindExit {
			exitedAt = n
		}
	}
	return out
}

func (fd *flowDecoder) step(n *yaml.Node, avail map[string]*exprs.Type, parent *Step) *Step {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	s := &Step{Line: n.Line, Parent: parent}
	var idNode *yaml.Node
	s.ID, idNode = fd.str(n, "id")
	if s.ID != "" {
		if !isKebab(s.ID) {
			fd.errorf(idNode, "id-format", "%s", kebabMessage(s.ID))
		}
		if prev, dup := fd.ids[s.ID]; dup {
			fd.l.Errorf(fd.pos(idNode), "duplicate-step", "step id %q is already used at line %d; step ids are unique in a flow (journeys are stored by them)", s.ID, prev.Line)
		} else {
			fd.ids[s.ID] = idNode
			fd.f.Index[s.ID] = s
		}
	}
	s.Description, _ = fd.str(n, "description")
	kinds := 0
	for _, k := range StepKinds {
		if key, _ := yamlnode.Get(n, string(k)); key != nil {
			kinds++
		}
	}
	if kinds != 1 || s.ID == "" {
		return nil // the schema check has said what is wrong
	}
	s.Kind = kindOf(n)
	_, body := yamlnode.Get(n, string(s.Kind))
	stepKinds[s.Kind].decode(fd, s, n, body, stepSite{avail: avail, why: fd.whyNotRun(n), parent: parent})
	return s
}

// place is where a step is written: its kind, and the branches (of if and split steps) that hold it.
type place struct {
	kind StepKind
	node *yaml.Node
	path []arm
}

// arm is one branch of an if or split step.
type arm struct {
	owner string // the if or split step's id
	line  int
	name  string // then, else, or variant NAME
}

// mapSteps records where every step of the flow is, before any expression is compiled, so that a
// reference to a step that has not certainly run can say why.
func (fd *flowDecoder) mapSteps(list *yaml.Node, path []arm) {
	for _, n := range yamlnode.Items(list) {
		if n.Kind != yaml.MappingNode {
			continue
		}
		id, _ := fd.str(n, "id")
		kind := kindOf(n)
		fd.paths[n] = path
		if _, dup := fd.places[id]; id != "" && !dup {
			fd.places[id] = place{kind, n, path}
		}
		if k, ok := stepKinds[kind]; ok && k.branches != nil {
			for _, b := range k.branches(fd, n) {
				fd.mapSteps(b.steps, append(slices.Clip(path), arm{id, n.Line, b.name}))
			}
		}
	}
}

// whyNotRun explains, for the step written at cur, why steps.ID of another step of the flow is not
// available there: it leaves nothing, it is cur itself, it is on another branch, it runs on only
// one branch before cur, or it comes later.
func (fd *flowDecoder) whyNotRun(cur *yaml.Node) func(string) string {
	return func(id string) string {
		x, ok := fd.places[id]
		if !ok {
			return ""
		}
		if StepOutputs(x.kind) == nil {
			return fmt.Sprintf("step %s is a %s step, which leaves nothing in steps; only wait_for (event, timed_out) and split (variant) steps do", id, x.kind)
		}
		if x.node == cur {
			return fmt.Sprintf("step %s cannot read its own result: steps.%s is set when the step has finished", id, id)
		}
		here := fd.paths[cur]
		i := 0
		for i < len(x.path) && i < len(here) && x.path[i] == here[i] {
			i++
		}
		if i < len(x.path) {
			b := x.path[i]
			if i < len(here) && here[i].owner == b.owner {
				return fmt.Sprintf("step %s is in the %s branch of step %s (line %d), and this step is in its %s branch: on this path, step %s never runs",
					id, b.name, b.owner, b.line, here[i].name, id)
			}
			if b.line < cur.Line {
				return fmt.Sprintf("step %s runs only in the %s branch of step %s (line %d), so here it may not have run; read steps.%s inside that branch",
					id, b.name, b.owner, b.line, id)
			}
		}
		if x.node.Line > cur.Line {
			return fmt.Sprintf("step %s (line %d) comes after this one, so it has not run yet here", id, x.node.Line)
		}
		return ""
	}
}

func (fd *flowDecoder) send(n *yaml.Node, scope exprs.Scope) *Send {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	snd := &Send{Category: "marketing"}
	var chNode *yaml.Node
	snd.Channel, chNode = fd.str(n, "channel")
	if c, _ := fd.str(n, "category"); c != "" {
		snd.Category = c
	}
	var shape message.Shape
	if set := fd.ctx.Settings; set != nil && set.File != "" && snd.Channel != "" {
		ch := set.Channels[snd.Channel]
		if ch == nil {
			fd.errorf(chNode, "channel-unknown", "unknown channel %q%s; the channels in %s are %s", snd.Channel,
				diag.DidYouMean(snd.Channel, set.ChannelNames()), filepathBase(set.File), strings.Join(set.ChannelNames(), ", "))
		} else {
			shape = ch.Shape
		}
	} else if content.IsShape(snd.Channel) {
		shape = message.Shape(snd.Channel)
	}
	if name, tn := fd.str(n, "template"); name != "" {
		snd.Template = name
		fd.templateRef(tn, name, shape, chNode, snd.Channel)
	}
	if _, cn := yamlnode.Get(n, "content"); cn != nil && cn.Kind == yaml.MappingNode && shape != "" {
		_, dl := yamlnode.Get(cn, "default_locale")
		_, locs := yamlnode.Get(cn, "locales")
		k, _ := yamlnode.Get(n, "content")
		snd.Content = content.Parse(fd.file, fd.src, shape, dl, locs, k, fd.l)
		checkCustomerRefs(snd.Content, fd.ctx.Customer, fd.l)
		checkEventRefs(snd.Content, scope, "", fd.l)
	}
	if _, dn := yamlnode.Get(n, "data"); dn != nil {
		snd.Data = fd.namedExprs(dn, scope)
	}
	if snd.Category == "marketing" && shape == message.Email {
		fd.wayOut(n, snd)
	}
	if snd.Template != "" && fd.ctx.Templates != nil {
		if t := fd.ctx.Templates[snd.Template]; t != nil {
			checkEventRefs(t.Content, scope, fmt.Sprintf(" (template %s, sent by flow %s at line %d)", t.Name, fd.f.ID, n.Line), fd.l)
			have := map[string]bool{}
			for _, d := range snd.Data {
				have[d.Name] = true
			}
			for _, ref := range t.DataRefs {
				if !have[ref] {
					k, _ := yamlnode.Get(n, "template")
					fd.warnf(k, "template-data", "template %s uses data.%s, which this step does not set under `data:`; it renders empty", t.Name, ref)
				}
			}
		}
	}
	return snd
}

// wayOut warns when a marketing email shows no unsubscribe link in its body: a commercial email
// must carry a way out, and the List-Unsubscribe header alone is not shown by every mail client.
func (fd *flowDecoder) wayOut(n *yaml.Node, snd *Send) {
	c, what, at := snd.Content, "its content", "content"
	if snd.Template != "" {
		t := fd.ctx.Templates[snd.Template]
		if t == nil || t.Shape != message.Email {
			return // missing, or of another shape: reported as such
		}
		c, what, at = t.Content, "template "+snd.Template, "template"
	}
	if c == nil {
		return
	}
	missing := c.LocalesWithout("unsubscribe_url", "text", "html")
	if len(missing) == 0 {
		return
	}
	k, _ := yamlnode.Get(n, at)
	fd.warnf(k, "unsubscribe-link", "this marketing email shows no way out: %s has no {{ unsubscribe_url }} in its text or html (locale %s); "+
		"add a visible unsubscribe link, or make the message transactional if it is one", what, strings.Join(missing, ", "))
}

func (fd *flowDecoder) templateRef(tn *yaml.Node, name string, shape message.Shape, chNode *yaml.Node, channel string) {
	if fd.ctx.Templates == nil {
		return
	}
	t := fd.ctx.Templates[name]
	if t == nil {
		var names []string
		for n := range fd.ctx.Templates {
			names = append(names, n)
		}
		fd.errorf(tn, "template-missing", "no template named %q%s; templates live in the settings' template folders, one `template: NAME` per file", name, diag.DidYouMean(name, names))
		return
	}
	if fd.f.Templates == nil {
		fd.f.Templates = map[string]*Template{}
	}
	fd.f.Templates[name] = t
	if shape != "" && t.Shape != "" && t.Shape != shape {
		fd.errorf(tn, "template-shape", "template %s is %s content (%s:%d), but channel %s carries %s content", name, t.Shape, filepathBase(t.File), t.Line, channel, shape)
	}
}

func (fd *flowDecoder) waitUntil(n *yaml.Node, scope exprs.Scope) *WaitUntil {
	w := &WaitUntil{}
	if _, t := yamlnode.Get(n, "time"); t != nil {
		w.Time = fd.expr(t, scope, exprs.Time)
	}
	if _, o := yamlnode.Get(n, "offset"); o != nil {
		w.Offset, _ = fd.offset(o)
	}
	if _, a := yamlnode.Get(n, "at"); a != nil {
		w.At = fd.timeOfDay(a)
	}
	if _, ds := yamlnode.Get(n, "days"); ds != nil {
		seen := map[string]bool{}
		for _, it := range yamlnode.Items(ds) {
			if !yamlnode.IsScalar(it) {
				continue
			}
			d, err := timespec.ParseWeekday(it.Value)
			if err != nil {
				fd.errorf(it, "weekday", "%v", err)
				continue
			}
			if seen[it.Value] {
				fd.warnf(it, "weekday", "%s is listed twice", it.Value)
			}
			seen[it.Value] = true
			w.Days = append(w.Days, d)
		}
	}
	return w
}

func (fd *flowDecoder) waitFor(n *yaml.Node, at stepSite) *WaitFor {
	w := &WaitFor{}
	var en *yaml.Node
	w.Event, en = fd.str(n, "event")
	fd.eventType(en, fd.ctx.Events.Types())
	if _, c := yamlnode.Get(n, "when"); c != nil {
		w.When = fd.expr(c, fd.scope(at, fd.ctx.eventType(w.Event)), exprs.Bool)
	}
	if _, t := yamlnode.Get(n, "timeout"); t != nil {
		w.Timeout, _ = fd.duration(t)
	}
	if v, _ := fd.str(n, "on_timeout"); v == "exit" {
		w.ExitOnTimeout = true
	}
	return w
}

// emit reads an emit step. The event it makes enters no source, so its data is checked here
// against the event catalog, as ingest checks what a shop sends: each field is one the type
// declares (a near miss is an error, another field a warning when the type lists its fields), its
// expression gives what the field holds, and the fields the type requires are all set.
func (fd *flowDecoder) emit(body *yaml.Node, scope exprs.Scope) *Emit {
	e := &Emit{}
	var en *yaml.Node
	e.Event, en = fd.str(body, "event")
	fd.eventType(en, fd.ctx.Events.Types())
	data := fd.ctx.eventType(e.Event).Fields["data"]
	k, dn := yamlnode.Get(body, "data")
	set := map[string]bool{}
	for _, p := range yamlnode.Pairs(dn) {
		name := p.Key.Value
		set[name] = true
		want := exprs.Any
		if ft := data.Fields[name]; ft != nil {
			want = ft.Kind
		} else if _, prob, bad := exprs.PathProblem(data, "data", []string{name}); bad {
			if prob.Warning {
				fd.warnf(p.Key, "emit-data", "%s", prob.Message)
			} else {
				fd.errorf(p.Key, "emit-data", "%s", prob.Message)
			}
		}
		if want == exprs.Map || want == exprs.List {
			want = exprs.Any // built by expressions as maps and lists of any value
		}
		e.Data = append(e.Data, NamedExpr{Name: name, Expr: fd.expr(p.Value, scope, want)})
	}
	if t := fd.ctx.Events.Lookup(e.Event); t != nil {
		at := k
		if at == nil {
			at = en
		}
		var missing []string
		for _, f := range t.Fields() {
			if f.Required && !strings.ContainsAny(f.Path, ".[") && !set[f.Path] {
				missing = append(missing, f.Path)
			}
		}
		if len(missing) > 0 {
			fd.errorf(at, "emit-data", "%s needs %s in its data: the engine would store an event its catalog refuses", e.Event, strings.Join(missing, ", "))
		}
	}
	return e
}

func (fd *flowDecoder) split(n *yaml.Node, avail map[string]*exprs.Type, parent *Step) *Split {
	sp := &Split{}
	_, vs := yamlnode.Get(n, "variants")
	names := map[string]*yaml.Node{}
	for _, it := range yamlnode.Items(vs) {
		v := &Variant{Weight: 1}
		var nn *yaml.Node
		v.Name, nn = fd.str(it, "name")
		if prev, dup := names[v.Name]; dup && v.Name != "" {
			fd.l.Errorf(fd.pos(nn), "duplicate-variant", "variant %q is already named at line %d", v.Name, prev.Line)
		}
		names[v.Name] = nn
		if _, w := yamlnode.Get(it, "weight"); w != nil {
			_ = w.Decode(&v.Weight)
		}
		_, st := yamlnode.Get(it, "steps")
		v.Steps = fd.steps(st, avail, parent)
		sp.Variants = append(sp.Variants, v)
	}
	return sp
}

func (fd *flowDecoder) update(n *yaml.Node, scope exprs.Scope) *Update {
	u := &Update{}
	cust := fd.ctx.Customer
	for _, op := range []string{"set", "add"} {
		_, m := yamlnode.Get(n, op)
		for _, p := range yamlnode.Pairs(m) {
			name := p.Key.Value
			want := exprs.Any
			at, declared := cust.Fields[name]
			switch {
			case computed[name]:
				fd.errorf(p.Key, "update-attr", "%s is computed from the customer's events and cannot be changed by a flow", name)
				continue
			case name == "consent":
				fd.errorf(p.Key, "update-attr", "consent is the customer's own answer, changed only by events (consent.updated, customer.updated): a flow cannot change it")
				continue
			case !declared && !cust.Open:
				fd.errorf(p.Key, "update-attr", "customer has no attribute %q%s; declare it in the customer schema first", name, diag.DidYouMean(name, cust.FieldNames()))
				continue
			case declared:
				want = at.Kind
			}
			if op == "add" {
				if declared && want != exprs.Int && want != exprs.Float {
					fd.errorf(p.Key, "update-attr", "`add` needs a number attribute, but %s is %s; use `set`", name, want)
					continue
				}
				if !declared {
					want = exprs.Float
				}
			}
			if declared && len(at.Enum) > 0 {
				if m := textLiteral.FindStringSubmatch(yamlnode.Scalar(p.Value)); m != nil && !slices.Contains(at.Enum, m[2]) {
					fd.errorf(p.Value, "update-attr", "%s is one of %s, never %q%s", name, strings.Join(at.Enum, ", "), m[2], diag.DidYouMean(m[2], at.Enum))
					continue
				}
			}
			e := NamedExpr{Name: name, Expr: fd.expr(p.Value, scope, want)}
			if op == "set" {
				u.Set = append(u.Set, e)
			} else {
				u.Add = append(u.Add, e)
			}
		}
	}
	return u
}

// textLiteral matches an expression that is only a quoted text: '"gold"'.
var textLiteral = regexp.MustCompile(`^\s*(["'])([^"'\\]*)["']\s*$`)

func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
