package exprs

import (
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr"
)

const day = 24 * time.Hour

// FunctionNames are the functions flows may call besides expr's built-ins.
var FunctionNames = []string{"days_since", "days_until", "hours_since", "days", "hours", "has",
	"product", "bought", "last_bought", "orders_within"}

// functions returns the options that define Afterglow's functions. days_since and friends need the
// engine's clock, so they read `now` from the environment instead of the wall clock: the same
// expression gives the same answer in a test on a virtual clock and in production.
func functions() []expr.Option {
	return []expr.Option{
		expr.Function("days_since", func(p ...any) (any, error) {
			t, now, err := timeArgs("days_since", p)
			if err != nil {
				return nil, unsetIsNil(err)
			}
			return int(now.Sub(t) / day), nil
		}, new(func(time.Time, time.Time) int)),
		expr.Function("hours_since", func(p ...any) (any, error) {
			t, now, err := timeArgs("hours_since", p)
			if err != nil {
				return nil, unsetIsNil(err)
			}
			return int(now.Sub(t) / time.Hour), nil
		}, new(func(time.Time, time.Time) int)),
		expr.Function("days_until", func(p ...any) (any, error) {
			t, now, err := timeArgs("days_until", p)
			if err != nil {
				return nil, unsetIsNil(err)
			}
			return int(t.Sub(now) / day), nil
		}, new(func(time.Time, time.Time) int)),
		expr.Function("days", func(p ...any) (any, error) {
			n, err := intArg("days", p)
			return time.Duration(n) * day, err
		}, new(func(int) time.Duration)),
		expr.Function("hours", func(p ...any) (any, error) {
			n, err := intArg("hours", p)
			return time.Duration(n) * time.Hour, err
		}, new(func(int) time.Duration)),
		expr.Function("has", func(p ...any) (any, error) {
			return len(p) == 1 && p[0] != nil, nil
		}, new(func(any) bool)),
	}
}

// errUnset marks a function applied to an unset value: the result is nil, so that a condition on
// a customer without the attribute is simply false.
var errUnset = errors.New("unset")

func unsetIsNil(err error) error {
	if err == errUnset {
		return nil
	}
	return err
}

func timeArgs(name string, p []any) (time.Time, time.Time, error) {
	if len(p) != 2 {
		return time.Time{}, time.Time{}, fmt.Errorf("%s takes one time", name)
	}
	t, ok := p[0].(time.Time)
	if !ok {
		return t, t, errUnset
	}
	now, _ := p[1].(time.Time)
	return t, now, nil
}

func intArg(name string, p []any) (int, error) {
	if len(p) != 1 {
		return 0, fmt.Errorf("%s takes one integer", name)
	}
	switch n := p[0].(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		return int(n), nil
	}
	return 0, fmt.Errorf("%s takes an integer", name)
}
