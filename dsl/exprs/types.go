// Package exprs compiles the expressions of flows against a typed environment, so that a typo or
// a type mismatch is found by validate, and runs them in the engine with the same functions.
package exprs

import (
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/expr-lang/expr/types"
)

// Kind is the type of a value in the expression environment.
type Kind int

const (
	Any Kind = iota
	Bool
	Int
	Float
	String
	Time
	Duration
	Map
	List
)

func (k Kind) String() string {
	return [...]string{"any value", "a boolean", "an integer", "a number", "a string", "a time", "a duration", "a map", "a list"}[k]
}

// Type describes a value: a map's fields, a list's elements. An Open map accepts any other key.
type Type struct {
	Kind   Kind
	Fields map[string]*Type
	Open   bool
	Elem   *Type
	// Why, when set, explains why a field a closed map lacks is missing here ("" when it cannot
	// say), for names that exist elsewhere: a step that has not certainly run yet.
	Why func(field string) string
	// Enum lists the only texts a string may be, when the customer schema says so.
	Enum []string
	// Loose, on an open map, says its Fields are the declared ones: another field may be there at
	// run time, so reading one is allowed, but the name check tells about it (see Loose).
	Loose *Loose
	// Decimal marks a Float that is an amount of money, for messages.
	Decimal bool

	// conv is the type converted for expr, once: the types of event, customer and journey are
	// shared by every expression of a workspace. Kept here, it lives as long as the type does.
	conv struct {
		once sync.Once
		t    types.Type
	}
}

var (
	AnyT      = &Type{Kind: Any}
	BoolT     = &Type{Kind: Bool}
	IntT      = &Type{Kind: Int}
	FloatT    = &Type{Kind: Float}
	StringT   = &Type{Kind: String}
	TimeT     = &Type{Kind: Time}
	DurationT = &Type{Kind: Duration}
	OpenMapT  = &Type{Kind: Map, Open: true}
)

// Loose says how the name check takes a field an open map does not list.
type Loose struct {
	// Of names what declares the fields, in messages: "order.placed", "the customer".
	Of string
	// TypoError makes a near miss of a listed field an error; otherwise it is a warning.
	TypoError bool
	// Undeclared, when set, makes any other field a warning, ending with this advice.
	Undeclared string
}

// MapOf is a closed map with the given fields.
func MapOf(fields map[string]*Type) *Type { return &Type{Kind: Map, Fields: fields} }

// ListOf is a list of elem.
func ListOf(elem *Type) *Type { return &Type{Kind: List, Elem: elem} }

// FieldNames lists a map's fields, sorted, for suggestions.
func (t *Type) FieldNames() []string {
	var ns []string
	for n := range t.Fields {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

func (t *Type) cachedExprType() types.Type {
	t.conv.once.Do(func() { t.conv.t = t.exprType() })
	return t.conv.t
}

func (t *Type) exprType() types.Type {
	switch t.Kind {
	case Bool:
		return types.Bool
	case Int:
		return types.Int
	case Float:
		return types.Float64
	case String:
		return types.String
	case Time:
		return types.TypeOf(time.Time{})
	case Duration:
		return types.TypeOf(time.Duration(0))
	case List:
		if t.Elem == nil {
			return types.Array(types.Any)
		}
		return types.Array(t.Elem.cachedExprType())
	case Map:
		m := types.Map{}
		for n, f := range t.Fields {
			m[n] = f.cachedExprType()
		}
		if t.Open {
			m[types.Extra] = types.Any
		}
		return m
	}
	return types.Any
}

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
)

// kindOf maps a checked node's Go type to a Kind, for "must be a boolean" style checks.
func kindOf(t reflect.Type) Kind {
	if t == nil {
		return Any
	}
	switch {
	case t == timeType:
		return Time
	case t == durationType:
		return Duration
	}
	switch t.Kind() {
	case reflect.Bool:
		return Bool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Int
	case reflect.Float32, reflect.Float64:
		return Float
	case reflect.String:
		return String
	case reflect.Map:
		return Map
	case reflect.Slice, reflect.Array:
		return List
	}
	return Any
}
