package exprs

import (
	"sort"
)

// EventType is the type of `event` and `trigger`. Event data is open: shops add their own fields.
var EventType = MapOf(map[string]*Type{
	"id": StringT, "type": StringT, "source": StringT, "subject": StringT, "time": TimeT, "data": OpenMapT,
})

// JourneyType is the type of `journey`.
var JourneyType = MapOf(map[string]*Type{"id": StringT, "flow": StringT, "entered_at": TimeT})

// ConsentChannels are the channels a customer's consent is recorded for.
var ConsentChannels = []string{"email", "sms", "whatsapp", "push"}

// BuiltinCustomerFields are the attributes every customer has.
func BuiltinCustomerFields() map[string]*Type {
	consent := map[string]*Type{}
	for _, c := range ConsentChannels {
		consent[c] = AnyT // true, false or null: null means "never asked", which is not consent
	}
	return map[string]*Type{
		"id": StringT, "email": StringT, "phone": StringT, "first_name": StringT, "last_name": StringT,
		"locale": StringT, "timezone": StringT, "created_at": TimeT,
		"consent": MapOf(consent), "tags": ListOf(StringT),
		"orders_count": IntT, "total_spent": FloatT, "first_order_at": TimeT, "last_order_at": TimeT,
	}
}

// CustomerType is the type of `customer`: the built-in fields plus the shop's declared attributes.
// Without a declaration (declared == nil) any other attribute is accepted, untyped, and a near
// miss of a built-in field (customer.frist_name) is a warning.
func CustomerType(declared map[string]*Type) *Type {
	f := BuiltinCustomerFields()
	for n, t := range declared {
		if _, builtin := f[n]; !builtin {
			f[n] = t
		}
	}
	t := &Type{Kind: Map, Fields: f, Open: declared == nil}
	if t.Open {
		t.Loose = &Loose{}
	}
	return t
}

// Scope is what an expression may use where it is written: the names defined there, and for
// names of the language that are not defined there, the reason to show.
type Scope struct {
	Names  map[string]*Type
	Absent map[string]string
}

// AllNames are the top-level names of the language.
var AllNames = []string{"event", "trigger", "customer", "steps", "journey", "now"}

// NewScope defines the named variables; every other name of the language is absent with the
// reason given by why (which may be nil for a generic reason).
func NewScope(names map[string]*Type, why func(name string) string) Scope {
	s := Scope{Names: names, Absent: map[string]string{}}
	for _, n := range AllNames {
		if _, ok := names[n]; ok {
			continue
		}
		reason := ""
		if why != nil {
			reason = why(n)
		}
		if reason == "" {
			reason = "`" + n + "` is not defined here"
		}
		s.Absent[n] = reason
	}
	return s
}

func (s Scope) names() []string {
	var out []string
	for n := range s.Names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
