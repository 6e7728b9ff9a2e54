//go:build race

package dsl

// raceEnabled says the race detector is on: it changes what escapes to the heap.
const raceEnabled = true
