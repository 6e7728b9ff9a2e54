package memsource_test

import (
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/insighttest"
	"github.com/afterglowhq/afterglow/insight/memsource"
)

func TestConformance(t *testing.T) {
	insighttest.Run(t, insighttest.Sources{
		NewStore: func(t *testing.T) store.Store { return memstore.New() },
		Source:   func(st store.Store) insight.Source { return memsource.New(st.(*memstore.Store)) },
	})
}
