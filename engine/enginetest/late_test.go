package enginetest

import (
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
)

func TestLateEventsOnMemory(t *testing.T) {
	LateSuite(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestLateEventsOnPostgres(t *testing.T) {
	LateSuite(t, newPostgresStore)
}
