package main

import (
	"os"
	"runtime/debug"
)

// engineGCPercent is the collector's target for the commands that run the engine on a database.
// Their live heap is one batch (a few MB whatever the number of customers), so with Go's default
// of 100 the collector ran every few MB allocated and took a third of the process's CPU; at 400
// the heap may grow to five times the batch before a collection. GOGC, when set, decides instead.
const engineGCPercent = 400

// tuneGC applies engineGCPercent unless the operator set GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(engineGCPercent)
	}
}
