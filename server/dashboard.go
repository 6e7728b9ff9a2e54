package server

import (
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store/memstore"
	"github.com/afterglowhq/afterglow/insight"
	"github.com/afterglowhq/afterglow/insight/memsource"
	"github.com/afterglowhq/afterglow/insight/pgsource"
	"github.com/afterglowhq/afterglow/server/ui"
)

// dashboard mounts /ui/ and /api/ when the settings name users; without `ui:` neither path
// exists.
func (s *Server) dashboard(mux *http.ServeMux) error {
	if s.settings.UI == nil {
		return nil
	}
	var src insight.Source
	if p, ok := s.store.(interface{ Pool() *pgxpool.Pool }); ok {
		src = pgsource.New(p.Pool())
	} else if m, ok := s.store.(*memstore.Store); ok {
		src = memsource.New(m) // a server on the in-memory store, as tests run it
	} else {
		return fmt.Errorf("ui: the report cannot be read from a %T store", s.store)
	}
	h, err := ui.New(ui.Options{Users: s.settings.UI.Users, Report: src, Location: s.settings.Location, Currency: s.settings.Currency,
		Store: s.store, Workspace: func() *dsl.Workspace { return s.eng.Flows().Workspace }, Log: s.log, Now: s.eng.Now})
	if err != nil {
		return err
	}
	mux.Handle("/ui/", h)
	mux.Handle("/api/", h)
	return nil
}
