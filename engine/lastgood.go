package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/engine/store"
)

// LastWorkspace rebuilds the last valid workspace the store holds, from the texts it keeps: the
// settings, the customer schema, and the flow versions with their templates. It returns when the
// workspace was saved, and store.ErrNotFound when the store holds none. A process started while
// the files on disk have errors runs it.
func LastWorkspace(ctx context.Context, st store.Reader) (*dsl.Workspace, time.Time, error) {
	rec, err := st.LastWorkspace(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	src := dsl.WorkspaceSources{Dir: rec.Dir, SettingsFile: rec.SettingsFile, Settings: rec.Settings, SchemaFile: rec.SchemaFile}
	if rec.SchemaFile != "" {
		src.Schema = rec.Schema
	}
	if rec.CatalogFile != "" {
		src.CatalogFile, src.Catalog = rec.CatalogFile, rec.Catalog
	}
	for _, e := range rec.Events {
		src.Events = append(src.Events, dsl.File{Path: e.File, Src: []byte(e.Source)})
	}
	seen := map[string]bool{}
	for _, v := range rec.Versions {
		fv, err := st.FlowVersion(ctx, v)
		if err != nil {
			return nil, rec.SavedAt, fmt.Errorf("flow version %s of the last workspace: %w", v, err)
		}
		if fv.Templates == nil {
			return nil, rec.SavedAt, fmt.Errorf("flow version %s of the last workspace was stored without its templates", v)
		}
		src.Flows = append(src.Flows, dsl.File{Path: fv.File, Src: fv.Source})
		for _, t := range fv.Templates {
			if !seen[t.Name] {
				seen[t.Name] = true
				src.Templates = append(src.Templates, dsl.File{Path: t.File, Src: []byte(t.Source)})
			}
		}
	}
	var l diag.List
	ws := dsl.FromSources(src, &l)
	for _, d := range l.Items() {
		if d.Severity == diag.Error {
			return nil, rec.SavedAt, fmt.Errorf("the last workspace in the database does not load either: %s", d)
		}
	}
	// Built from the same texts, the flows come out as the versions that were run.
	got := map[string]bool{}
	for _, f := range ws.Flows {
		got[f.Version] = true
	}
	for _, v := range rec.Versions {
		if !got[v] {
			return nil, rec.SavedAt, fmt.Errorf("flow version %s of the last workspace comes out as another version when it is read back", v)
		}
	}
	return ws, rec.SavedAt, nil
}
