package exprs

import (
	"reflect"
	"testing"
)

// A condition lists the values it read: the longest path of each chain, once, in the order
// written, including those inside function calls, with nil for what is unset.
func TestReads(t *testing.T) {
	scope := stepScope(map[string]*Type{"pick": splitOutputs})
	p, ps := Compile(`trigger.data.total > 50 && customer.orders_count >= 1 && has(customer.tier) || trigger.data.total < 5 || steps.pick.variant == "b"`, scope, Bool)
	if p == nil {
		t.Fatal(ps)
	}
	vars := Vars{
		"trigger":  map[string]any{"data": map[string]any{"total": 42.5}},
		"customer": map[string]any{"orders_count": 2},
		"steps":    map[string]any{"pick": map[string]any{"variant": "a"}},
	}
	got := p.Reads(vars)
	want := []Read{{"trigger.data.total", 42.5}, {"customer.orders_count", 2}, {"customer.tier", nil}, {"steps.pick.variant", "a"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reads %v, want %v", got, want)
	}
}
