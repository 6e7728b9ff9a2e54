package event

import "hash/fnv"

// Lane is which of n lanes (workers, shards) takes the events of a customer, the subject. A
// customer's events always take the same lane, so they stay in order, and two lanes never work on
// one customer: in the database they never wait for each other's locks, and in a simulation each
// lane holds its customers whole.
func Lane(subject string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(subject))
	return int(h.Sum32() % uint32(n))
}
