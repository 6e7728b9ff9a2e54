package sources

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/afterglowhq/afterglow/internal/registry"
	"github.com/rs/zerolog"
)

// Spec declares an event source: its name under `sources:` in afterglow.yaml, the path it serves,
// the JSON Schema of its settings, and how to build its handler. A source registers its Spec from
// an init function; sources/all imports every built-in one, and the server mounts the sources
// that the settings name, by looking them up here.
type Spec struct {
	Name    string // its key under `sources:`
	Summary string
	Path    string          // where it is mounted; it takes POST
	Schema  json.RawMessage // JSON Schema 2020-12 of its settings; every property has a description
	// New builds the handler from the source's settings, with their ${VAR}s expanded.
	New func(with map[string]any, opts Options) (http.Handler, error)
}

// Options are what the server gives every source.
type Options struct {
	Sink   Sink
	Logger zerolog.Logger
	// Now is the engine's clock, against which an event's time is checked.
	Now func() time.Time
	// Budget bounds the memory of the bodies being read at once, across sources; nil means none.
	Budget *Budget
	// AuthFailures counts and logs the source's refused tokens or signatures; nil means a counter
	// of the handler's own.
	AuthFailures *AuthFailures
}

var known = registry.New[Spec]("sources")

// Register adds a source. It panics on a duplicate name or path, or a spec without a
// constructor, since those are programming errors found at start-up.
func Register(s Spec) {
	if s.Name == "" || s.Path == "" || s.New == nil || len(s.Schema) == 0 {
		panic("sources: incomplete spec " + s.Name)
	}
	for _, o := range known.All() {
		if o.Path == s.Path {
			panic("sources: " + s.Name + " registered on the path of " + o.Name)
		}
	}
	known.Add(s.Name, s)
}

// Lookup returns the spec of a source.
func Lookup(name string) (Spec, bool) { return known.Lookup(name) }

// All returns every registered spec, sorted by name.
func All() []Spec { return known.All() }

// Names returns the registered source names, sorted.
func Names() []string { return known.Names() }
