// Package registry keeps the components that add themselves from an init function, by name:
// connectors, sources. A component kind is then one folder and one import line.
package registry

import (
	"slices"
	"sync"
)

// Registry holds the components of one kind.
type Registry[T any] struct {
	kind string
	mu   sync.RWMutex
	m    map[string]T
}

// New returns an empty registry; kind names the components in panics ("connector", "source").
func New[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, m: map[string]T{}}
}

// Add registers v under name. It panics on an empty or taken name: two components with one name
// are a programming error, found when the program starts.
func (r *Registry[T]) Add(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic(r.kind + ": registered without a name")
	}
	if _, dup := r.m[name]; dup {
		panic(r.kind + ": registered twice: " + name)
	}
	r.m[name] = v
}

// Lookup returns the component registered under name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ns := make([]string, 0, len(r.m))
	for n := range r.m {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// All returns every component, sorted by name.
func (r *Registry[T]) All() []T {
	names := r.Names()
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = r.m[n]
	}
	return out
}
