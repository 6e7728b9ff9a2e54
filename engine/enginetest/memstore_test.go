package enginetest

import (
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
)

func TestSuiteOnMemory(t *testing.T) {
	Suite(t, func(t *testing.T) store.Store { return memstore.New() })
}
