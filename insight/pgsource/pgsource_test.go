package pgsource_test

import (
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/insighttest"
	"github.com/afterglowhq/afterglow/insight/pgsource"
	"github.com/afterglowhq/afterglow/internal/pgtest"
)

func TestConformance(t *testing.T) {
	insighttest.Run(t, insighttest.Sources{
		NewStore: func(t *testing.T) store.Store { return pgtest.Store(t, pgstore.Options{MaxConns: 8}) },
		Source:   func(st store.Store) insight.Source { return pgsource.New(st.(*pgstore.Store).Pool()) },
	})
}
