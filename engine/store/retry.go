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

// TooLarge reports whether a transaction failed because a value is too large for the database
// (PostgreSQL's program_limit_exceeded: an index entry over its bound, among others). Running it
// again fails again: the batch must be refused, not retried.
func TooLarge(err error) bool {
	var coded interface{ SQLState() string }
	return errors.As(err, &coded) && coded.SQLState() == "54000"
}
