package dsl

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"gopkg.in/yaml.v3"
)

// StepKind is what a step does.
type StepKind string

const (
	KindSend      StepKind = "send"
	KindWait      StepKind = "wait"
	KindWaitUntil StepKind = "wait_until"
	KindWaitFor   StepKind = "wait_for"
	KindIf        StepKind = "if"
	KindSplit     StepKind = "split"
	KindUpdate    StepKind = "update"
	KindEmit      StepKind = "emit"
	KindExit      StepKind = "exit"
)

// StepKinds lists every kind in the order the documentation gives them.
var StepKinds = []StepKind{KindSend, KindWait, KindWaitUntil, KindWaitFor, KindIf, KindSplit, KindUpdate, KindEmit, KindExit}

// A step kind is declared once, in stepKinds: its key in a flow file, how its body is read and
// checked, which step lists it holds, and what it leaves in steps.ID for later steps. The engine
// runs and the graph draws each kind through tables keyed by the same StepKind; their tests, and
// those of the flow schema and docs/flows.md, fail when a kind declared here is missing there.
type stepKind struct {
	// Summary says in one line what the kind does, for docs and tools.
	Summary string
	// decode reads the kind's body into s and checks it. n is the step's mapping, body the
	// value of the kind's key.
	decode func(fd *flowDecoder, s *Step, n, body *yaml.Node, at stepSite)
	// branches lists the step lists the step's mapping holds, each with its name, so that a
	// reference to a step can say on which branch it runs.
	branches func(fd *flowDecoder, n *yaml.Node) []branch
	// outputs is what the kind leaves in steps.ID; nil when nothing.
	outputs *exprs.Type
}

// stepSite is where a step is written: the steps certainly run before it, why others are not
// available there, and the if or split step whose branch holds it.
type stepSite struct {
	avail  map[string]*exprs.Type
	why    func(string) string
	parent *Step
}

// branch is one nested list of steps of an if or split step.
type branch struct {
	name  string
	steps *yaml.Node
}

// scope is the scope of a step's expressions; ev is the type of the event a wait_for's condition
// looks at, nil for other steps.
func (fd *flowDecoder) scope(at stepSite, ev *exprs.Type) exprs.Scope {
	return stepScope(fd.ctx.Customer, at.avail, at.why, fd.trig, ev)
}

var splitOutputs = exprs.MapOf(map[string]*exprs.Type{"variant": exprs.StringT})

// stepKinds is filled by init: its decoders read nested steps, which look kinds up in it.
var stepKinds map[StepKind]stepKind

func init() {
	stepKinds = map[StepKind]stepKind{
		KindSend: {
			Summary: "hand a message to the outbox; the journey goes on without waiting for delivery",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				s.Send = fd.send(body, fd.scope(at, nil))
			},
		},
		KindWait: {
			Summary: "pause for a duration",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, _ stepSite) {
				s.Wait, _ = fd.duration(body)
			},
		},
		KindWaitUntil: {
			Summary: "pause until a moment, moved to an allowed local time of day and weekday",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				s.WaitUntil = fd.waitUntil(body, fd.scope(at, nil))
			},
		},
		KindWaitFor: {
			Summary: "pause until the customer's event that matches, or the timeout",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				s.WaitFor = fd.waitFor(body, at)
				ev := fd.ctx.eventType(s.WaitFor.Event)
				s.outputs = exprs.MapOf(map[string]*exprs.Type{"event": ev, "timed_out": exprs.BoolT})
			},
			outputs: exprs.MapOf(map[string]*exprs.Type{"event": exprs.EventType, "timed_out": exprs.BoolT}),
		},
		KindIf: {
			Summary: "branch on a condition: then, else",
			decode: func(fd *flowDecoder, s *Step, n, body *yaml.Node, at stepSite) {
				s.If = fd.expr(body, fd.scope(at, nil), exprs.Bool)
				_, then := yamlnode.Get(n, "then")
				_, els := yamlnode.Get(n, "else")
				s.Then = fd.steps(then, at.avail, s)
				s.Else = fd.steps(els, at.avail, s)
			},
			branches: func(_ *flowDecoder, n *yaml.Node) []branch {
				_, then := yamlnode.Get(n, "then")
				_, els := yamlnode.Get(n, "else")
				return []branch{{"then", then}, {"else", els}}
			},
		},
		KindSplit: {
			Summary: "random A/B split, stable per customer",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				inner := maps.Clone(at.avail)
				inner[s.ID] = splitOutputs
				s.Split = fd.split(body, inner, s)
			},
			branches: func(fd *flowDecoder, n *yaml.Node) []branch {
				_, body := yamlnode.Get(n, "split")
				_, vs := yamlnode.Get(body, "variants")
				var out []branch
				for i, v := range yamlnode.Items(vs) {
					name, _ := fd.str(v, "name")
					if name == "" {
						name = strconv.Itoa(i + 1)
					}
					_, st := yamlnode.Get(v, "steps")
					out = append(out, branch{"variant " + name, st})
				}
				return out
			},
			outputs: splitOutputs,
		},
		KindUpdate: {
			Summary: "change customer attributes (set, add); later steps see the change",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				s.Update = fd.update(body, fd.scope(at, nil))
			},
		},
		KindEmit: {
			Summary: "emit an event for the same customer",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, at stepSite) {
				s.Emit = fd.emit(body, fd.scope(at, nil))
			},
		},
		KindExit: {
			Summary: "end the journey",
			decode: func(fd *flowDecoder, s *Step, _, body *yaml.Node, _ stepSite) {
				s.Exit, _ = fd.str(body, "reason")
				if s.Exit == "" {
					s.Exit = "exit step " + s.ID
				}
			},
		},
	}
	if len(stepKinds) != len(StepKinds) {
		panic(fmt.Sprintf("dsl: %d step kinds declared, %d listed in StepKinds", len(stepKinds), len(StepKinds)))
	}
	for _, k := range StepKinds {
		if stepKinds[k].decode == nil {
			panic("dsl: step kind " + string(k) + " is listed but not declared")
		}
	}
}

// StepOutputs is what a kind of step leaves in steps.ID for later steps; nil when nothing.
func StepOutputs(k StepKind) *exprs.Type { return stepKinds[k].outputs }

// kindOf is the kind of the step written as the mapping n: the first kind key it has, or "".
func kindOf(n *yaml.Node) StepKind {
	for _, k := range StepKinds {
		if key, _ := yamlnode.Get(n, string(k)); key != nil {
			return k
		}
	}
	return ""
}
