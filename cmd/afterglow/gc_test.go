package main

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGCLeavesAnOperatorsGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	tuneGC()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("with GOGC=150 set, the collector's target became %d", got)
	}
}

func TestTuneGCRaisesTheTargetWhenGOGCIsUnset(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	t.Setenv("GOGC", "") // registers the restore; then unset for the test
	unsetenv(t, "GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != engineGCPercent {
		t.Errorf("without GOGC, the collector's target is %d, want %d", got, engineGCPercent)
	}
}

func unsetenv(t *testing.T, name string) {
	t.Helper()
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
