//go:build race

package dsl

// raceEnabled scales time limits: the race detector slows code down several times.
const raceEnabled = true
