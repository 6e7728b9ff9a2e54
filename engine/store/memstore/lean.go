package memstore

import (
	"strings"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/message"
)

// NewLean returns a store for simulations. It keeps of each message only what a timeline shows
// (the subject, title or template name, and the first line of the text), and it hands the engine
// its own customer and journey records instead of copies. A simulation of months of a large shop
// would otherwise hold every rendered HTML body in memory and spend its time copying; the price is
// that a transaction that fails leaves the records it changed half-changed, which a simulation
// never sees, because it stops at the first error.
func NewLean() *Store {
	s := New()
	s.lean = true
	return s
}

// KeepContent makes a lean store keep the whole content of the messages keep picks: a timeline
// that shows one customer's messages in full costs the memory of theirs alone.
func (s *Store) KeepContent(keep func(m *store.Message) bool) { s.keep = keep }

const previewLen = 200

func preview(c message.Content) message.Content {
	out := message.Content{Subject: c.Subject, Title: c.Title, TemplateName: c.TemplateName, URL: c.URL,
		Text: firstLine(c.Text), Body: firstLine(c.Body), Language: c.Language}
	if c.Payload != nil {
		out.Payload = map[string]any{}
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > previewLen {
		s = s[:previewLen]
	}
	return strings.Clone(s)
}

func (s *Store) customerOut(c *store.Customer) *store.Customer {
	if s.lean {
		return c
	}
	return cloneCustomer(c)
}

func (s *Store) journeyOut(j *store.Journey) *store.Journey {
	if s.lean {
		return j
	}
	return cloneJourney(j)
}
