package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"

	"github.com/afterglowhq/afterglow/dsl/timespec"
)

// Ids are derived from what they name, never random: the same journey started by the same event
// gets the same id in a retry, in a test, and in a simulation, and the same step of the same
// journey gets the same message id (its idempotency key).

func hashID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:12])
}

func journeyID(flowID, customerID, triggerID string) string {
	return hashID("j_", flowID, customerID, triggerID)
}

// MaxKeyBytes is the longest entry key kept as it is. Keys are indexed, and an index entry has a
// bound: a key computed from a long value (a note, a URL) would fail every retry of its batch.
const MaxKeyBytes = 256

// storableKey is an entry key as it is stored: itself when short enough, else "sha256:" and the hex
// digest of it, which keeps two keys apart exactly when they differ.
func storableKey(k string) string {
	if len(k) <= MaxKeyBytes {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func messageID(journeyID, stepID string) string { return hashID("m_", journeyID, stepID) }

func emittedEventID(journeyID, stepID string) string {
	return "afterglow/" + journeyID + "/" + stepID
}

// fraction maps its parts to a stable number in [0, 1): the same customer always falls in the
// same split variant and the same side of the holdout.
func fraction(parts ...string) float64 {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return float64(binary.BigEndian.Uint64(h.Sum(nil)[:8])>>11) / float64(1<<53)
}

var locations sync.Map // name -> *time.Location

// loadLocation caches time zones: time.LoadLocation reads the zone database on every call.
func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := timespec.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}
