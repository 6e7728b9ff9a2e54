package store

import "errors"

// Retryable reports whether a transaction failed only because it lost a race with another one (a
// serialization failure or a deadlock victim in PostgreSQL): nothing was committed, and running
// it again is safe and likely to succeed.
func Retryable(err error) bool {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		switch coded.SQLState() {
		case "40001", "40P01":
			return true
		}
	}
	return false
}
