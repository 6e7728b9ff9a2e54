package exprs

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Vars are the values of the names at run time: event, trigger, customer, steps, journey, now.
// Values must have the Go types the checker assumed (see Convert). An evaluation adds an entry
// of its own while it runs, so one Vars serves one evaluation at a time.
type Vars map[string]any

// Eval runs the program within the bounds of an evaluation (see MaxSteps and the others). An
// evaluation stopped by one is an error that wraps ErrLimit.
func (p *Program) Eval(v Vars) (any, error) {
	if v == nil {
		v = Vars{}
	}
	b := &budget{}
	v[budgetName] = b
	defer delete(v, budgetName)
	m := vm.VM{MemoryBudget: MaxValues}
	out, err := m.Run(p.prog, map[string]any(v))
	if err == nil {
		return out, nil
	}
	if b.err == nil && strings.Contains(err.Error(), "memory budget exceeded") {
		b.fail("it builds more than %d values", MaxValues)
	}
	if b.err != nil {
		le := &limitErr{err: b.err}
		var fe *file.Error
		if errors.As(err, &fe) {
			le.at = fe.From
		}
		return nil, le
	}
	return nil, err
}

// Bool runs a condition. A missing value compared with something is false, never an error, so
// a customer without the attribute simply does not match.
func (p *Program) Bool(v Vars) (bool, error) {
	out, err := p.Eval(v)
	if err != nil {
		if strings.Contains(err.Error(), "<nil>") {
			return false, nil // an operation on an unset value
		}
		return false, err
	}
	switch b := out.(type) {
	case bool:
		return b, nil
	case nil:
		return false, nil
	}
	return false, fmt.Errorf("%q gave %v, not true or false", p.Source, out)
}

// Time runs an expression that gives a time. Nil (an unset attribute) gives the zero time.
func (p *Program) Time(v Vars) (time.Time, error) {
	out, err := p.Eval(v)
	if err != nil {
		return time.Time{}, err
	}
	switch t := out.(type) {
	case time.Time:
		return t, nil
	case nil:
		return time.Time{}, nil
	case string:
		return ParseTime(t)
	}
	return time.Time{}, fmt.Errorf("%q gave %v, not a time", p.Source, out)
}

// ParseTime reads an RFC 3339 time or a plain date (YYYY-MM-DD, taken as midnight UTC).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2025-10-14T15:00:00-05:00) or a date (2025-10-14)", s)
}

// Plain turns decoded JSON into the values expressions work with: exact JSON numbers become int
// when they are whole and float64 otherwise. Money keeps its exact form in storage; expressions
// only compare it.
func Plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case int64:
		return int(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Plain(e)
		}
		return out
	}
	return v
}

// Convert coerces a stored value to the declared type, so that `customer.birthday` is a time and
// `customer.loyalty_points` an int whatever JSON gave. A value that does not fit becomes nil,
// which conditions treat as unset.
func Convert(v any, t *Type) any {
	if v == nil || t == nil {
		return Plain(v)
	}
	switch t.Kind {
	case Time:
		switch x := v.(type) {
		case time.Time:
			return x
		case string:
			if tm, err := ParseTime(x); err == nil {
				return tm
			}
		}
		return nil
	case Int:
		switch x := Plain(v).(type) {
		case int:
			return x
		case float64:
			return int(x)
		case string:
			if i, err := strconv.Atoi(x); err == nil {
				return i
			}
		}
		return nil
	case Float:
		switch x := Plain(v).(type) {
		case int:
			return float64(x)
		case float64:
			return x
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f
			}
		}
		return nil
	case String:
		switch x := v.(type) {
		case string:
			return x
		case json.Number:
			return x.String()
		}
		return fmt.Sprint(v)
	case Bool:
		if b, ok := v.(bool); ok {
			return b
		}
		return nil
	case Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[k] = Convert(e, t.Fields[k])
		}
		return out
	case List:
		l, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = Convert(e, t.Elem)
		}
		return out
	}
	return Plain(v)
}
