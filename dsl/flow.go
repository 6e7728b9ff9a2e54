package dsl

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/dsl/timespec"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/schemas"
	"gopkg.in/yaml.v3"
)

// Context is what a flow is checked against. A flow outside any workspace has no settings and
// no templates: the checks that need them are skipped.
type Context struct {
	Settings   *Settings
	Templates  map[string]*Template
	Customer   *exprs.Type
	Events     *catalog.Catalog       // the event types; nil means the canonical ones
	EventTypes map[string]*exprs.Type // their expression types (EventTypes of Events)
	Products   *products.Catalog      // the product catalog; nil when the workspace has none
}

// Context is what the workspace's flows are checked against.
func (w *Workspace) Context() *Context {
	return &Context{Settings: w.Settings, Templates: w.Templates, Customer: w.Customer, Events: w.Events, EventTypes: w.EventTypes, Products: w.Products}
}

// eventType is the type of an event of type typ in expressions: typed data when the catalog has
// a schema of the type, any data otherwise.
func (c *Context) eventType(typ string) *exprs.Type {
	if t := c.EventTypes[typ]; t != nil {
		return t
	}
	return exprs.EventType
}

// Version is a flow's version: the hash of its file's content and of the template files it names
// (by name, each with its content), so that editing a template makes a new version as editing the
// flow does. A flow that names no template file keeps the hash of its file alone.
func Version(src []byte, templates map[string]*Template) string {
	h := sha256.New()
	h.Write(src)
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(h, "\x00template %s %d\x00", n, len(templates[n].Source))
		h.Write(templates[n].Source)
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}

// ParseFlow reads, checks and compiles one flow file.
func ParseFlow(file string, src []byte, ctx *Context, l *diag.List) *Flow {
	root, ok := yamlnode.Parse(file, src, l)
	if !ok {
		return nil
	}
	if c, err := checker(schemas.Flow); err != nil {
		l.Errorf(diag.Pos{File: file}, "internal", "%v", err)
	} else {
		c.Check(file, root, l)
	}
	if root.Kind != yaml.MappingNode {
		return nil
	}
	if ctx == nil {
		ctx = &Context{}
	}
	if ctx.Customer == nil {
		ctx.Customer = exprs.CustomerType(nil)
	}
	if ctx.Events == nil {
		ctx.Events = catalog.Canonical()
	}
	if ctx.EventTypes == nil {
		ctx.EventTypes = EventTypes(ctx.Events)
	}
	fd := &flowDecoder{decoder: decoder{file: file, src: src, l: l, products: ctx.Products, noCatalog: ctx.Settings != nil && ctx.Products == nil}, ctx: ctx, trig: exprs.EventType, ids: map[string]*yaml.Node{},
		places: map[string]place{}, paths: map[*yaml.Node][]arm{}}
	return fd.flow(root)
}

type flowDecoder struct {
	decoder
	ctx    *Context
	f      *Flow
	trig   *exprs.Type // the type of the trigger's event
	ids    map[string]*yaml.Node
	places map[string]place     // every step id, where it is written
	paths  map[*yaml.Node][]arm // the branches holding each step node
}

func (fd *flowDecoder) flow(root *yaml.Node) *Flow {
	f := &Flow{File: fd.file, Source: fd.src, Status: "active", Index: map[string]*Step{}}
	defer func() { f.Version = Version(fd.src, f.Templates) }()
	fd.f = f
	var idNode *yaml.Node
	f.ID, idNode = fd.str(root, "flow")
	if idNode != nil {
		f.IDLine, f.IDCol = idNode.Line, idNode.Column
	}
	if f.ID != "" && !isKebab(f.ID) {
		fd.errorf(idNode, "id-format", "%s", kebabMessage(f.ID))
	} else if f.ID != "" {
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(fd.file), ".yaml"), ".yml")
		if base != f.ID {
			fd.warnf(idNode, "file-name", "flow %s is in %s; name the file %s.yaml so that it is easy to find", f.ID, filepath.Base(fd.file), f.ID)
		}
	}
	f.Name, _ = fd.str(root, "name")
	f.Description, _ = fd.str(root, "description")
	if s, _ := fd.str(root, "status"); s != "" {
		f.Status = s
	}
	_, tags := yamlnode.Get(root, "tags")
	f.Tags = fd.strings(tags)

	if _, t := yamlnode.Get(root, "trigger"); t != nil {
		fd.trigger(t)
	}
	if _, e := yamlnode.Get(root, "entry"); e != nil {
		fd.entry(e)
	} else {
		f.Entry.Repeat = RepeatAlways
	}
	if _, ex := yamlnode.Get(root, "exit"); ex != nil {
		for _, it := range yamlnode.Items(ex) {
			r := &ExitRule{}
			r.Event, _ = fd.str(it, "event")
			var ev *exprs.Type
			if _, en := yamlnode.Get(it, "event"); en != nil {
				fd.eventType(en, fd.ctx.Events.Types())
			}
			if r.Event != "" {
				ev = fd.ctx.eventType(r.Event)
			}
			if _, w := yamlnode.Get(it, "when"); w != nil {
				r.When = fd.expr(w, exitScope(fd.ctx.Customer, fd.trig, ev), exprs.Bool)
			}
			if r.Event != "" || r.When != nil {
				f.Exits = append(f.Exits, r)
			}
		}
	}
	if _, g := yamlnode.Get(root, "goal"); g != nil && g.Kind == yaml.MappingNode {
		goal := &Goal{Exit: fd.boolean(g, "exit", true)}
		var en *yaml.Node
		goal.Event, en = fd.str(g, "event")
		fd.eventType(en, fd.ctx.Events.Types())
		if _, w := yamlnode.Get(g, "when"); w != nil {
			goal.When = fd.expr(w, goalScope(fd.ctx.Customer, fd.trig, fd.ctx.eventType(goal.Event)), exprs.Bool)
		}
		if _, w := yamlnode.Get(g, "within"); w != nil {
			goal.Within, _ = fd.duration(w)
		}
		f.Goal = goal
	}
	if h, hn := fd.str(root, "holdout"); h != "" {
		if p, err := timespec.ParsePercent(h); err != nil {
			fd.errorf(hn, "percentage", "%v", err)
		} else {
			f.Holdout = p
			if p >= 1 {
				fd.warnf(hn, "holdout", "a 100%% holdout sends nothing to anyone; use status: paused to stop a flow")
			}
		}
	}
	if pr, _ := fd.str(root, "priority"); pr != "" {
		// The schema reports a value out of its list; it then counts as normal.
		f.Priority, _ = ParsePriority(pr)
	}
	if _, p := yamlnode.Get(root, "policies"); p != nil {
		f.Policies = fd.policies(p, fd.ctx.Settings)
	}
	if _, st := yamlnode.Get(root, "steps"); st != nil {
		fd.mapSteps(st, nil)
		f.Steps = fd.steps(st, map[string]*exprs.Type{}, nil)
		link(f.Steps, nil)
	}
	return f
}

func (fd *flowDecoder) trigger(t *yaml.Node) {
	tr := &fd.f.Trigger
	cust := fd.ctx.Customer
	if k, en := yamlnode.Get(t, "event"); k != nil {
		tr.Kind = TriggerEvent
		tr.Event = fd.eventType(en, fd.ctx.Events.Types())
		fd.trig = fd.ctx.eventType(tr.Event)
		if _, w := yamlnode.Get(t, "when"); w != nil {
			tr.When = fd.expr(w, triggerScope(cust, fd.trig), exprs.Bool)
		}
		return
	}
	if k, sn := yamlnode.Get(t, "schedule"); k != nil {
		tr.Kind = TriggerSchedule
		// Without its own time zone a cron follows the workspace's, which may be a ${VAR} known
		// only when the engine starts: the engine fills it in then (see ScheduleLocation).
		if at, an := fd.str(sn, "at"); at != "" {
			if tm, err := time.Parse(time.RFC3339, at); err != nil {
				fd.errorf(an, "invalid-value", "%q is not a moment: write it in RFC 3339 with its offset, like 2025-11-23T10:00:00-05:00", at)
			} else {
				tr.At = tm
			}
		}
		if tz, tn := fd.str(sn, "timezone"); tz != "" {
			if loc := fd.location(tn); loc != nil {
				tr.Location = loc
			}
		}
		if cr, cn := fd.str(sn, "cron"); cr != "" {
			c, err := timespec.ParseCron(cr)
			if err != nil {
				fd.errorf(cn, "cron", "%v", err)
			} else {
				tr.Cron = c
			}
		}
		if _, a := yamlnode.Get(t, "audience"); a != nil {
			tr.Audience = fd.expr(a, customerOnlyScope(cust, "schedule audience"), exprs.Bool)
		}
		if _, w := yamlnode.Get(t, "when"); w != nil {
			tr.When = fd.expr(w, customerOnlyScope(cust, "schedule trigger"), exprs.Bool)
		}
		return
	}
	if k, dn := yamlnode.Get(t, "date"); k != nil {
		tr.Kind = TriggerDate
		tr.Date = fd.expr(dn, customerOnlyScope(cust, "date trigger"), exprs.Time)
		if _, o := yamlnode.Get(t, "offset"); o != nil {
			tr.Offset, _ = fd.offset(o)
		}
		if _, a := yamlnode.Get(t, "at"); a != nil {
			tr.AtTime = fd.timeOfDay(a)
		}
		if _, w := yamlnode.Get(t, "when"); w != nil {
			tr.When = fd.expr(w, customerOnlyScope(cust, "date trigger"), exprs.Bool)
		}
	}
}

func (fd *flowDecoder) entry(e *yaml.Node) {
	en := &fd.f.Entry
	en.Repeat = RepeatAlways
	if _, k := yamlnode.Get(e, "key"); k != nil {
		en.Key = fd.expr(k, entryScope(fd.ctx.Customer, fd.trig), exprs.Any)
	}
	r, rn := fd.str(e, "repeat")
	switch r {
	case "", "always":
	case "never":
		en.Repeat = RepeatNever
	case "restart":
		en.Repeat = RepeatRestart
	default:
		d, err := timespec.ParseDuration(r)
		if err != nil {
			fd.errorf(rn, "invalid-value", "repeat %q: use always, never, restart, or a duration like 30d", r)
			return
		}
		en.Repeat, en.After = RepeatAfter, d
	}
}

// link sets each step's Next: the following step, or the continuation of the enclosing list.
func link(steps []*Step, cont *Step) {
	for i, s := range steps {
		next := cont
		if i+1 < len(steps) {
			next = steps[i+1]
		}
		s.Next = next
		link(s.Then, next)
		link(s.Else, next)
		if s.Split != nil {
			for _, v := range s.Split.Variants {
				link(v.Steps, next)
			}
		}
	}
}
