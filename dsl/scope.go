package dsl

import (
	"github.com/afterglowhq/afterglow/dsl/exprs"
)

// The scopes say which names an expression may use where it is written, and why a
// name of the language is missing there, so that the error teaches the rule.

// Each scope is given the types of the events its names stand for: the trigger's event (trigger),
// and the event being looked at (event), typed by the event catalog.

func triggerScope(customer, ev *exprs.Type) exprs.Scope {
	return exprs.NewScope(map[string]*exprs.Type{"event": ev, "customer": customer, "now": exprs.TimeT},
		func(n string) string {
			switch n {
			case "trigger":
				return "`trigger` is not defined in the trigger's own condition: the event being checked is `event`"
			case "steps":
				return "`steps` is not defined in the trigger: no step has run when it is checked"
			case "journey":
				return "`journey` is not defined in the trigger: the journey does not exist yet"
			}
			return ""
		})
}

func entryScope(customer, trigger *exprs.Type) exprs.Scope {
	return exprs.NewScope(map[string]*exprs.Type{"event": trigger, "trigger": trigger, "customer": customer, "now": exprs.TimeT},
		func(n string) string {
			switch n {
			case "steps":
				return "`steps` is not defined in the entry key: no step has run yet"
			case "journey":
				return "`journey` is not defined in the entry key: the key decides which journey this is"
			}
			return ""
		})
}

// customerOnlyScope is for schedule audiences and date triggers: they look at customers, not events.
func customerOnlyScope(customer *exprs.Type, what string) exprs.Scope {
	return exprs.NewScope(map[string]*exprs.Type{"customer": customer, "now": exprs.TimeT},
		func(n string) string {
			switch n {
			case "event", "trigger":
				return "`" + n + "` is not defined in a " + what + ": it looks at customers, not at an event"
			case "steps", "journey":
				return "`" + n + "` is not defined in a " + what + ": no journey has started yet"
			}
			return ""
		})
}

// exitScope is for an exit rule; ev is the type of the event it names, nil when it names none.
func exitScope(customer, trigger, ev *exprs.Type) exprs.Scope {
	names := map[string]*exprs.Type{"trigger": trigger, "customer": customer, "journey": exprs.JourneyType, "now": exprs.TimeT}
	if ev != nil {
		names["event"] = ev
	}
	return exprs.NewScope(names, func(n string) string {
		switch n {
		case "event":
			return "`event` is only defined in an exit rule that names an `event:`; this rule is checked without one"
		case "steps":
			return "`steps` is not defined in an exit rule: it may be checked before any step has run"
		}
		return ""
	})
}

func goalScope(customer, trigger, ev *exprs.Type) exprs.Scope {
	return exprs.NewScope(map[string]*exprs.Type{"event": ev, "trigger": trigger, "customer": customer, "journey": exprs.JourneyType, "now": exprs.TimeT},
		func(n string) string {
			if n == "steps" {
				return "`steps` is not defined in the goal: it may be reached before any step has run"
			}
			return ""
		})
}

// stepScope is for a step's expressions; avail are the steps that have certainly run before it,
// and why explains, for a step of the flow that is not among them, why not. In a wait_for's
// condition, `event` is the candidate event, of type ev; elsewhere ev is nil.
func stepScope(customer *exprs.Type, avail map[string]*exprs.Type, why func(string) string, trigger, ev *exprs.Type) exprs.Scope {
	steps := exprs.MapOf(avail)
	steps.Why = why
	names := map[string]*exprs.Type{"trigger": trigger, "customer": customer, "journey": exprs.JourneyType,
		"now": exprs.TimeT, "steps": steps}
	if ev != nil {
		names["event"] = ev
	}
	return exprs.NewScope(names, func(n string) string {
		if n == "event" {
			return "`event` is not defined in a step: use `trigger` for the event that started the journey, or `steps.ID.event` for the one a wait_for step received"
		}
		return ""
	})
}
