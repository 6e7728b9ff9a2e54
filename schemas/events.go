package schemas

import (
	"bytes"
	"embed"
	"sort"
	"strings"
)

// The event catalog: one schema per canonical event type, for its `data`, under events/. They
// are documents of their own (not flows or settings), so they are listed apart from Names.
//
//go:embed events/*.schema.json
var eventFiles embed.FS

// EventSuffix ends the file name of every event schema: events/order.placed.schema.json.
const EventSuffix = ".schema.json"

// EventTypes returns the canonical event types that have a schema, sorted.
func EventTypes() []string {
	entries, err := eventFiles.ReadDir("events")
	if err != nil {
		panic(err) // the embedded directory is always readable
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), EventSuffix))
	}
	sort.Strings(out)
	return out
}

// EventSchema returns a copy of the schema of a canonical event type's data, or nil.
func EventSchema(eventType string) []byte {
	b, err := eventFiles.ReadFile("events/" + eventType + EventSuffix)
	if err != nil {
		return nil
	}
	return bytes.Clone(b)
}

// EventID returns the $id of a canonical event type's schema.
func EventID(eventType string) string { return BaseURL + "events/" + eventType + EventSuffix }
