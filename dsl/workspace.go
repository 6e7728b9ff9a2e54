package dsl

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/dsl/products"
	"github.com/afterglowhq/afterglow/dsl/wsfile"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/event/catalog"
	"github.com/afterglowhq/afterglow/message"
	"github.com/afterglowhq/afterglow/schemas"
	"gopkg.in/yaml.v3"
)

// Workspace is a loaded workspace: its settings, templates and flows, checked together.
type Workspace struct {
	Dir       string
	Settings  *Settings
	Flows     []*Flow          // sorted by id; a flow with errors is left out
	Broken    map[string]*Flow // flows read with errors, by id: not run, but tests may still name them
	Templates map[string]*Template
	Declared  map[string]*exprs.Type // the shop's declared customer attributes, or nil
	Customer  *exprs.Type
	Events    *catalog.Catalog // the canonical event types and the workspace's own
	// EventTypes are the expression types of the catalog's events, by event type.
	EventTypes map[string]*exprs.Type
	Products   *products.Catalog // the product catalog, or nil when the settings name none
	Files      []string          // every file read, for the callers that report per file

	SettingsSource []byte // the settings file's content, ${VAR}s unexpanded
	SchemaFile     string // the customer schema's name, when the settings declare one
	SchemaSource   []byte
	EventSchemas   []File // the shop's own event types' files
	CatalogFile    string // the product catalog's name, when the settings name one
	CatalogSource  []byte
}

// FlowByID returns the flow with that id, or nil.
func (w *Workspace) FlowByID(id string) *Flow {
	for _, f := range w.Flows {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Kind is what a file holds.
type Kind string

const (
	KindUnknown  Kind = ""
	KindSettings Kind = "settings"
	KindFlow     Kind = "flow"
	KindTemplate Kind = "template"
	KindTest     Kind = "test"
)

var topKey = regexp.MustCompile(`(?m)^(flow|template)\s*:`)

// FileKind tells what a file is by its name and, for other YAML files, its top-level key.
func FileKind(path string, src []byte) Kind {
	base := filepath.Base(path)
	switch {
	case base == SettingsFile || base == "afterglow.yml":
		return KindSettings
	case strings.HasSuffix(base, ".test.yaml") || strings.HasSuffix(base, ".test.yml"):
		return KindTest
	case !IsYAML(path):
		return KindUnknown
	}
	if m := topKey.FindSubmatch(src); m != nil {
		return Kind(m[1])
	}
	return KindUnknown
}

var topKeys = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_-]*)\s*:`)

// ReportUnknownKind explains why a YAML file is neither a flow nor a template: it is empty, or its
// first key is a near miss of `flow` or `template`, or it is something else altogether.
func ReportUnknownKind(file string, src []byte, l *diag.List) {
	if yamlnode.IsBlank(src) {
		l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "empty-file", "%s", yamlnode.EmptyMessage)
		return
	}
	for _, m := range topKeys.FindAllSubmatchIndex(src, -1) {
		key := string(src[m[2]:m[3]])
		if key == "flows" || key == "templates" {
			break // the keys of a settings file, not a misspelt flow or template
		}
		if key == "products" {
			l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "file-kind",
				"this looks like a product catalog, which no afterglow.yaml names: add catalog: with its path to the settings")
			return
		}
		if near := diag.Closest(key, []string{"flow", "template"}); near != "" {
			line := bytes.Count(src[:m[2]], []byte("\n")) + 1
			l.Errorf(diag.Pos{File: file, Line: line, Col: 1}, "file-kind",
				"cannot tell what this file is: key %q is not `flow:` or `template:` (did you mean %q?)", key, near)
			return
		}
	}
	l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "file-kind",
		"cannot tell what this file is: a flow starts with `flow:`, a template with `template:`, a scenario test is named *.test.yaml")
}

// IsYAML reports whether the path names a YAML file.
func IsYAML(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

// FindSettings returns the afterglow.yaml of the workspace holding path (the nearest one above
// it), or "".
func FindSettings(path string) string {
	dir, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		for _, name := range []string{SettingsFile, "afterglow.yml"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// WalkYAML lists the YAML files under dir, skipping folders whose name starts with a dot. A dir
// that is itself a symbolic link (a mounted ConfigMap's folder) is followed; links below it are
// not, so a link loop cannot trap the walk.
func WalkYAML(dir string) []string {
	root := dir
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		root = real
	}
	var out []string
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if IsYAML(p) {
			if rel, err := filepath.Rel(root, p); err == nil {
				p = filepath.Join(dir, rel)
			}
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// LoadWorkspace reads the workspace whose settings file is settingsFile. rel turns an absolute
// path into the one diagnostics show.
func LoadWorkspace(settingsFile string, rel func(string) string, l *diag.List) *Workspace {
	if rel == nil {
		rel = func(p string) string { return p }
	}
	abs, _ := filepath.Abs(settingsFile)
	src, err := wsfile.Read(abs, filepath.Dir(abs))
	if err != nil {
		l.Errorf(diag.Pos{File: rel(abs)}, wsfile.Code(err), "cannot read settings: %v", err)
		return nil
	}
	// Paths inside the settings are absolute for reading; diagnostics name them relative.
	s := parseSettings(rel(abs), filepath.Dir(abs), src, l, true)
	w := &Workspace{Dir: s.Dir, Settings: s, SettingsSource: src, Files: []string{abs}}
	if s.CustomerSchema != "" {
		b, err := wsfile.Read(s.CustomerSchema, s.Dir, filepath.Dir(s.CustomerSchema))
		switch {
		case err == nil:
			w.SchemaFile, w.SchemaSource = rel(s.CustomerSchema), b
			w.Files = append(w.Files, s.CustomerSchema)
		case !errors.Is(err, fs.ErrNotExist): // a missing schema is reported with the settings
			l.Errorf(diag.Pos{File: rel(s.CustomerSchema)}, wsfile.Code(err), "cannot read the customer schema: %v", err)
		}
	}
	if s.Catalog != "" {
		w.Files = append(w.Files, s.Catalog)
		if b, err := wsfile.Read(s.Catalog, s.Dir, filepath.Dir(s.Catalog)); err != nil {
			l.Errorf(diag.Pos{File: rel(s.Catalog)}, wsfile.Code(err), "cannot read the catalog: %v", err)
		} else {
			w.CatalogFile, w.CatalogSource = rel(s.Catalog), b
		}
	}
	w.EventSchemas, w.Files = readEvents(s.EventDirs, s.Dir, rel, l, w.Files)
	flowFiles, tplFiles, refused := w.collect(rel, l)
	for _, f := range append(append(append([]File{}, flowFiles...), tplFiles...), refused...) {
		w.Files = append(w.Files, f.Path)
	}
	named := func(fs []File) []File {
		out := make([]File, len(fs))
		for i, f := range fs {
			out[i] = File{rel(f.Path), f.Src}
		}
		return out
	}
	w.build(named(flowFiles), named(tplFiles), l)
	return w
}

// WorkspaceSources are the texts of a workspace's files, each under the name its diagnostics show.
type WorkspaceSources struct {
	Dir          string // the workspace's folder: the settings' paths are read against it
	SettingsFile string
	Settings     []byte
	SchemaFile   string // empty when the settings name no customer schema
	Schema       []byte
	Events       []File // the shop's own event types (TYPE.schema.json)
	CatalogFile  string // empty when the settings name no product catalog
	Catalog      []byte
	Flows        []File
	Templates    []File
}

// File is a file's name and content.
type File struct {
	Path string
	Src  []byte
}

// FromSources builds a workspace from the texts of its files, as LoadWorkspace builds one from the
// disk, reading nothing: the engine keeps the texts of the last valid workspace it ran, to start
// on them when the files on disk have errors.
func FromSources(src WorkspaceSources, l *diag.List) *Workspace {
	s := parseSettings(src.SettingsFile, src.Dir, src.Settings, l, false)
	w := &Workspace{Dir: s.Dir, Settings: s, SettingsSource: src.Settings, SchemaFile: src.SchemaFile, SchemaSource: src.Schema,
		EventSchemas: src.Events, CatalogFile: src.CatalogFile, CatalogSource: src.Catalog}
	w.build(src.Flows, src.Templates, l)
	return w
}

// build parses the customer schema, the templates and the flows, and checks them together.
func (w *Workspace) build(flowFiles, tplFiles []File, l *diag.List) {
	if w.SchemaSource != nil {
		w.Declared = ParseCustomerSchema(w.SchemaFile, w.SchemaSource, l)
	}
	w.Customer = exprs.CustomerType(w.Declared)
	if w.CatalogSource != nil {
		w.Products = parseProducts(w.CatalogFile, w.CatalogSource, l)
	}
	w.Events = buildEvents(w.EventSchemas, l)
	w.EventTypes = EventTypes(w.Events)

	tpls := parallel(tplFiles, func(f File) *Template { return ParseTemplate(f.Path, f.Src, l) })
	w.Templates = uniqueTemplates(tpls, l)
	for _, t := range tpls {
		if t != nil {
			checkCustomerRefs(t.Content, w.Customer, l)
		}
	}

	ctx := w.Context()
	type parsed struct {
		flow *Flow
		ok   bool
	}
	results := parallel(flowFiles, func(file File) parsed {
		var fl diag.List
		f := ParseFlow(file.Path, file.Src, ctx, &fl)
		l.Merge(&fl)
		return parsed{f, !fl.HasErrors()}
	})
	// Ids are compared across every flow read, broken ones included: a broken flow still claims
	// its id, and its duplicate is a second mistake to fix.
	var all []*Flow
	for _, r := range results {
		if r.flow != nil && r.flow.ID != "" {
			all = append(all, r.flow)
		}
	}
	duplicateFlows(all, l)
	kept := map[string]bool{}
	w.Broken = map[string]*Flow{}
	for _, r := range results {
		// Of flows sharing an id, the first stays, so that tests naming it are still checked.
		if r.flow == nil || r.flow.ID == "" || kept[r.flow.ID] {
			continue
		}
		kept[r.flow.ID] = true
		if r.ok {
			w.Flows = append(w.Flows, r.flow)
		} else {
			w.Broken[r.flow.ID] = r.flow
		}
	}
	sort.Slice(w.Flows, func(i, j int) bool { return w.Flows[i].ID < w.Flows[j].ID })
	if s := w.Settings; s.File != "" && s.Secret == "" {
		if flow, step, channel, ok := w.MarketingEmail(); ok {
			c := s.Channels[channel]
			l.Errorf(diag.Pos{File: s.File, Line: c.Line, Col: c.Col}, "unsubscribe-secret", "%s",
				NoSecretMessage(flow, step, channel))
		}
	}
}

// parseProducts parses the product catalog.
func parseProducts(file string, b []byte, l *diag.List) *products.Catalog {
	return products.Parse(file, b, func(root *yaml.Node) {
		if c, err := checker(schemas.Catalog); err != nil {
			l.Errorf(diag.Pos{File: file}, "internal", "%v", err)
		} else {
			c.Check(file, root, l)
		}
	}, l)
}

// MarketingEmail finds a send step of a running flow that writes marketing email, if any: such a
// message needs an unsubscribe link, and so the settings' secret that signs it.
func (w *Workspace) MarketingEmail() (flow, step, channel string, ok bool) {
	for _, f := range w.Flows {
		if !f.Runs() {
			continue
		}
		ids := make([]string, 0, len(f.Index))
		for id := range f.Index {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			snd := f.Index[id].Send
			if snd == nil || snd.Category != "marketing" {
				continue
			}
			if c := w.Settings.Channels[snd.Channel]; c != nil && c.Shape == message.Email {
				return f.ID, id, snd.Channel, true
			}
		}
	}
	return "", "", "", false
}

// NoSecretMessage says why marketing email cannot go out without the settings' secret, and what to
// do.
func NoSecretMessage(flow, step, channel string) string {
	return fmt.Sprintf("channel %s carries marketing email (flow %s, step %s), but the settings have no `secret`: "+
		"unsubscribe links cannot be signed, and a marketing email must carry a way out. Set `secret: ${AFTERGLOW_SECRET}` "+
		"(a long random value kept in the environment) or send only transactional email on this channel", channel, flow, step)
}

// duplicateFlows reports every flow whose id another flow also uses, in each of the files, naming
// the others.
func duplicateFlows(flows []*Flow, l *diag.List) {
	byID := map[string][]*Flow{}
	for _, f := range flows {
		byID[f.ID] = append(byID[f.ID], f)
	}
	for id, fs := range byID {
		if len(fs) < 2 {
			continue
		}
		for _, f := range fs {
			var others []string
			for _, o := range fs {
				if o != f {
					others = append(others, o.File)
				}
			}
			l.Errorf(diag.Pos{File: f.File, Line: max(f.IDLine, 1), Col: max(f.IDCol, 1)}, "duplicate-flow",
				"flow id %q is also used by %s; flow ids are unique in a workspace (journeys are stored by them), so rename one",
				id, strings.Join(others, " and "))
		}
	}
}

// uniqueTemplates indexes templates by name, reporting a name used by several files in each of them.
func uniqueTemplates(tpls []*Template, l *diag.List) map[string]*Template {
	byName := map[string][]*Template{}
	var order []string
	for _, t := range tpls {
		if t == nil || t.Name == "" {
			continue
		}
		if byName[t.Name] == nil {
			order = append(order, t.Name)
		}
		byName[t.Name] = append(byName[t.Name], t)
	}
	out := map[string]*Template{}
	for _, name := range order {
		ts := byName[name]
		out[name] = ts[0] // flows that use it are still checked against one of them
		if len(ts) < 2 {
			continue
		}
		for _, t := range ts {
			var others []string
			for _, o := range ts {
				if o != t {
					others = append(others, fmt.Sprintf("%s:%d", o.File, o.Line))
				}
			}
			l.Errorf(diag.Pos{File: t.File, Line: t.Line, Col: t.Col}, "duplicate-template",
				"template %q is also defined in %s; template names are unique in a workspace, so rename one", name, strings.Join(others, " and "))
		}
	}
	return out
}

// collect reads the flow files in the flow folders and the template files in the template
// folders. A file that is not a regular file of the workspace is reported and left out (refused
// lists them): it is never read.
func (w *Workspace) collect(rel func(string) string, l *diag.List) (flows, templates, refused []File) {
	seen := map[string]bool{}
	classify := func(dirs []string, want Kind) []File {
		var out []File
		for _, d := range dirs {
			for _, p := range WalkYAML(d) {
				if seen[p] || p == w.Settings.Catalog {
					continue
				}
				b, err := wsfile.Read(p, w.Dir, d)
				if err != nil {
					seen[p] = true
					l.Errorf(diag.Pos{File: rel(p)}, wsfile.Code(err), "cannot read: %v", err)
					refused = append(refused, File{Path: p})
					continue
				}
				k := FileKind(p, b)
				if k == want {
					seen[p] = true
					out = append(out, File{p, b})
					continue
				}
				if k == KindUnknown && !seen[p+"?"] {
					seen[p+"?"] = true
					ReportUnknownKind(rel(p), b, l)
				}
			}
		}
		return out
	}
	flows = classify(w.Settings.FlowDirs, KindFlow)
	templates = classify(w.Settings.TemplateDirs, KindTemplate)
	return flows, templates, refused
}

// parallel maps fn over files on every core, keeping their order.
func parallel[T any](paths []File, fn func(File) T) []T {
	out := make([]T, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(paths), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = fn(paths[i])
			}
		}()
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}
