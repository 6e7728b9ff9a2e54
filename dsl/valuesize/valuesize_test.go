package valuesize

import (
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	if got := Of(map[string]any{"a": "xyz", "b": []any{1, 2.5, nil}}, 1000); got != 2+(1+3)+5+(1+3)+2+24 {
		t.Errorf("= %d", got)
	}
	// A list holding the same list twice, forty levels deep, is a terabyte written out; measuring
	// it stops as soon as it passes room.
	v := any([]any{strings.Repeat("x", 100)})
	for range 40 {
		v = []any{v, v}
	}
	if got := Of(v, 1<<20); got != 1<<20+1 {
		t.Errorf("= %d, want room+1", got)
	}
}
