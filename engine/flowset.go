package engine

import (
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/event/catalog"
	"time"
)

// Events is the event catalog the flow set's events must fit.
func (fs *FlowSet) Events() *catalog.Catalog { return fs.events }

// FlowSet is the set of flows the engine runs, built from a loaded workspace. It never changes
// once built: a reload builds a new one and swaps it in whole.
type FlowSet struct {
	Workspace    *dsl.Workspace
	Settings     *dsl.Settings
	Flows        []*dsl.Flow            // runnable flows (not drafts), by id
	byID         map[string]*dsl.Flow   // current version of each flow
	byVersion    map[string]*dsl.Flow   // every version known, current and older
	byEvent      map[string][]*dsl.Flow // event-triggered flows by event type
	dateFlows    []*dsl.Flow
	schedFlows   []*dsl.Flow
	datesVersion string
	historyFlows []string // flows whose entry rule needs past entries
	maxWindow    time.Duration
	events       *catalog.Catalog       // what each event type's data must fit
	eventTypes   map[string]*exprs.Type // their expression types, by event type
}

// NewFlowSet indexes a workspace's flows. Only flows without errors are in a workspace.
func NewFlowSet(ws *dsl.Workspace) *FlowSet {
	fs := &FlowSet{Workspace: ws, Settings: ws.Settings, byID: map[string]*dsl.Flow{}, byVersion: map[string]*dsl.Flow{}, byEvent: map[string][]*dsl.Flow{},
		events: ws.Events}
	if fs.events == nil {
		fs.events = catalog.Canonical()
	}
	fs.eventTypes = ws.EventTypes
	if fs.eventTypes == nil {
		fs.eventTypes = dsl.EventTypes(fs.events)
	}
	var dateIDs []string
	for _, f := range ws.Flows {
		if !f.Runs() {
			continue
		}
		fs.Flows = append(fs.Flows, f)
		fs.byID[f.ID] = f
		fs.byVersion[f.Version] = f
		switch f.Trigger.Kind {
		case dsl.TriggerEvent:
			fs.byEvent[f.Trigger.Event] = append(fs.byEvent[f.Trigger.Event], f)
		case dsl.TriggerDate:
			fs.dateFlows = append(fs.dateFlows, f)
			dateIDs = append(dateIDs, f.ID+"@"+f.Version)
		case dsl.TriggerSchedule:
			fs.schedFlows = append(fs.schedFlows, f)
		}
		if f.Entry.Repeat == dsl.RepeatNever || f.Entry.Repeat == dsl.RepeatAfter {
			fs.historyFlows = append(fs.historyFlows, f.ID)
		}
		for _, p := range []*dsl.Policies{f.Policies, &ws.Settings.Policies} {
			if p == nil {
				continue
			}
			for _, l := range p.Frequency {
				fs.maxWindow = max(fs.maxWindow, l.Per)
			}
		}
	}
	for _, l := range ws.Settings.Policies.Frequency {
		fs.maxWindow = max(fs.maxWindow, l.Per)
	}
	sort.Strings(dateIDs)
	fs.datesVersion = strings.Join(dateIDs, ",")
	sort.Strings(fs.historyFlows)
	return fs
}

// lateAfter is policies.late_events: how old an event may be when it arrives and still start
// journeys.
func (fs *FlowSet) lateAfter() time.Duration {
	if l := fs.Settings.Policies.LateEvents; l > 0 {
		return l
	}
	return dsl.DefaultLateEvents
}

// Flow returns the current version of a flow.
func (fs *FlowSet) Flow(id string) *dsl.Flow { return fs.byID[id] }

// versionOf finds the flow version a journey runs on. Versions that are no longer in the
// workspace are kept in the store and compiled again on demand by the engine.
func (fs *FlowSet) versionOf(v string) *dsl.Flow { return fs.byVersion[v] }

// Versions lists what must be stored so that journeys can keep their version after an edit: each
// flow's file and the template files it names.
func (fs *FlowSet) Versions() []store.FlowVersion {
	var out []store.FlowVersion
	for _, f := range fs.Flows {
		ts := []store.TemplateSource{}
		for _, name := range sortedNames(f.Templates) {
			t := f.Templates[name]
			ts = append(ts, store.TemplateSource{Name: name, File: t.File, Source: string(t.Source)})
		}
		out = append(out, store.FlowVersion{Version: f.Version, FlowID: f.ID, Source: f.Source, File: f.File, Templates: ts})
	}
	return out
}

// record is the workspace as the store keeps it, to start on when the files on disk are invalid.
// Drafts are left out with their files: they never run.
func (fs *FlowSet) record(now time.Time) *store.Workspace {
	ws := fs.Workspace
	w := &store.Workspace{SavedAt: now, Dir: ws.Dir, Settings: ws.SettingsSource, SchemaFile: ws.SchemaFile, Schema: ws.SchemaSource}
	if ws.Settings != nil {
		w.SettingsFile = ws.Settings.File
	}
	w.CatalogFile, w.Catalog = ws.CatalogFile, ws.CatalogSource
	for _, f := range ws.EventSchemas {
		w.Events = append(w.Events, store.SourceFile{File: f.Path, Source: string(f.Src)})
	}
	for _, f := range fs.Flows {
		w.Versions = append(w.Versions, f.Version)
	}
	sort.Strings(w.Versions)
	return w
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
