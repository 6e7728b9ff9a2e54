package dsl

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/schemas"
)

// readEvents reads the shop's own event types, one TYPE.schema.json a type, from the events
// folders, each under the name diagnostics show; it adds the files read to files.
func readEvents(dirs []string, wsDir string, rel func(string) string, l *diag.List, files []string) ([]File, []string) {
	var out []File
	for _, f := range walkEventSchemas(dirs) {
		p := f.path
		b, err := wsfile.Read(p, wsDir, f.dir)
		if err != nil {
			l.Errorf(diag.Pos{File: rel(p)}, wsfile.Code(err), "cannot read: %v", err)
			continue
		}
		files = append(files, p)
		out = append(out, File{rel(p), b})
	}
	return out, files
}

// buildEvents builds the workspace's event catalog from the shop's event type files. Mistakes are
// reported at their line and column; a declaration with one is left out of the catalog.
func buildEvents(files []File, l *diag.List) *catalog.Catalog {
	if len(files) == 0 {
		return catalog.Canonical()
	}
	var decls []catalog.Declaration
	srcs := map[string][]byte{}
	for _, f := range files {
		srcs[f.Path] = f.Src
		decls = append(decls, catalog.Declaration{Type: strings.TrimSuffix(filepath.Base(f.Path), schemas.EventSuffix), File: f.Path, Source: f.Src})
	}
	cat, mistakes := catalog.Build(decls)
	for _, m := range mistakes {
		line, col := lineCol(srcs[m.File], m.Offset)
		pos := diag.Pos{File: m.File, Line: line, Col: col}
		if m.Warning {
			l.Warnf(pos, "event-schema", "%s", m.Message)
		} else {
			l.Errorf(pos, "event-schema", "%s", m.Message)
		}
	}
	return cat
}

type eventFile struct{ path, dir string }

// EventTypes are the expression types of the catalog's events, by event type: `event`, `trigger`
// and `steps.ID.event` are typed by the type of the event they stand for, their data by its
// schemas. A near miss of a field a schema lists is an error; another field, which the data may
// carry, is read unchecked, with a warning that says where to declare it.
func EventTypes(c *catalog.Catalog) map[string]*exprs.Type {
	if c == catalog.Canonical() {
		return canonicalTypes()
	}
	return eventTypes(c)
}

var canonicalTypes = sync.OnceValue(func() map[string]*exprs.Type { return eventTypes(catalog.Canonical()) })

func eventTypes(c *catalog.Catalog) map[string]*exprs.Type {
	out := map[string]*exprs.Type{}
	for _, name := range c.Types() {
		t := c.Lookup(name)
		advice := "declare it in " + t.File + " to check it"
		if t.Canonical && !t.Extended {
			advice = "to check it, add it to " + name + schemas.EventSuffix + " in an events folder of the workspace (docs/events.md)"
		} else if t.Extended {
			advice = "add it to " + t.File + " to check it"
		}
		out[name] = exprs.EventOf(exprs.DataType(t.Docs, &exprs.Loose{Of: name, TypoError: true, Undeclared: advice}))
	}
	return out
}

// walkEventSchemas lists the *.schema.json files under dirs, each with the folder it was found
// in, skipping folders whose name starts with a dot; other files (sample events, notes) are not
// the catalog's.
func walkEventSchemas(dirs []string) []eventFile {
	seen := map[string]bool{}
	var out []eventFile
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if p != dir && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(p, schemas.EventSuffix) && !seen[p] {
				seen[p] = true
				out = append(out, eventFile{p, dir})
			}
			return nil
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}
