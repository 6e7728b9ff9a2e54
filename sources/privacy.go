package sources

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// LogCustomer is how a customer id appears in logs: a guest's id is their email, which logs at info
// level must never hold.
func LogCustomer(id string) string {
	if strings.Contains(id, "@") {
		return "(guest)"
	}
	return id
}

// Digest is a short stable fingerprint of a body, for event ids of repeatable facts when the
// platform sent no delivery id: a redelivery carries the same bytes.
func Digest(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:12])
}
