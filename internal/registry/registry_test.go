package registry

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[int]("thing")
	r.Add("b", 2)
	r.Add("a", 1)
	if v, ok := r.Lookup("a"); !ok || v != 1 {
		t.Errorf("Lookup(a) = %d, %v", v, ok)
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error("Lookup(c) found a thing never added")
	}
	if got := r.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names() = %v", got)
	}
	if got := r.All(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("All() = %v, want by name", got)
	}
	for _, name := range []string{"a", ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Add(%q) did not panic", name)
				}
			}()
			r.Add(name, 3)
		}()
	}
}
