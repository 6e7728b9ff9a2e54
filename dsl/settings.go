package dsl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/dsl/content"
	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
	"github.com/afterglowhq/afterglow/message"
	"github.com/afterglowhq/afterglow/schemas"
	"github.com/afterglowhq/afterglow/sources"
	"gopkg.in/yaml.v3"
)

// SettingsFile is the name of a workspace's settings file.
const SettingsFile = "afterglow.yaml"

// Settings is a workspace's afterglow.yaml. String values keep their ${VAR} references; Expand
// resolves them when the engine starts.
type Settings struct {
	File           string
	Dir            string
	FlowDirs       []string
	TemplateDirs   []string
	EventDirs      []string // folders of the shop's own event types (TYPE.schema.json); none by default
	CustomerSchema string   // absolute path, or ""
	Catalog        string   // the product catalog's absolute path, or ""
	TimezoneName   string
	Location       *time.Location
	Currency       string // the shop's reporting currency (ISO 4217); "" when not given
	Database       string
	Listen         string
	PublicURL      string
	Secret         string
	Channels       map[string]*Channel
	Policies       Policies
	Delivery       Delivery
	Workers        Workers
	Sources        map[string]*Source
	UI             *UI // nil: no dashboard
}

// UI turns on the dashboard and its API for the users it names.
type UI struct {
	Users map[string]string // name -> password, ${VAR}s expanded by Expand
}

// Delivery tunes the dispatchers.
type Delivery struct {
	Concurrency int
	MaxAttempts int
	Lease       time.Duration
}

// Workers sets how much of one engine process's work runs at once. They are read when the
// process starts.
type Workers struct {
	Ingest int // transactions committing events at once, each for its own share of the customers
	Timers int // loops advancing due journeys at once, each claiming its own customers
}

// Source is an event source the settings turn on: a name registered in the sources package and
// its settings, as written (${VAR}s expanded by Expand). A source not listed is off.
type Source struct {
	Name string
	With map[string]any
	Line int
}

// SourceNames lists the sources turned on, sorted.
func (s *Settings) SourceNames() []string {
	var out []string
	for n := range s.Sources {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SourceSetting returns a text setting of a source, or "" when the source is off or the setting
// absent.
func (s *Settings) SourceSetting(source, key string) string {
	if src := s.Sources[source]; src != nil {
		if v, ok := src.With[key].(string); ok {
			return v
		}
	}
	return ""
}

// ChannelNames lists the channels, sorted.
func (s *Settings) ChannelNames() []string {
	var out []string
	for n := range s.Channels {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultSettings are used for files outside any workspace, and fill what a settings file omits.
func DefaultSettings(dir string) *Settings {
	return &Settings{
		Dir: dir, FlowDirs: []string{filepath.Join(dir, "flows")}, TemplateDirs: []string{filepath.Join(dir, "templates")},
		TimezoneName: "UTC", Location: time.UTC, Listen: "127.0.0.1:8080", Channels: map[string]*Channel{}, Sources: map[string]*Source{},
		Policies: Policies{OverLimit: "defer", LateEvents: DefaultLateEvents},
		Delivery: Delivery{Concurrency: 16, MaxAttempts: 8, Lease: 2 * time.Minute},
		Workers:  Workers{Ingest: 4, Timers: 2},
	}
}

// ParseSettings reads an afterglow.yaml; the paths in it are relative to the file's folder.
func ParseSettings(file string, src []byte, l *diag.List) *Settings {
	return parseSettings(file, filepath.Dir(file), src, l, true)
}

// parseSettings reads settings whose paths are relative to dir, which may differ from the folder
// of the name that diagnostics show. With onDisk, the folders and files they name must exist.
func parseSettings(file, dir string, src []byte, l *diag.List, onDisk bool) *Settings {
	s := DefaultSettings(dir)
	s.File = file
	root, ok := yamlnode.Parse(file, src, l)
	if !ok {
		return s
	}
	if c, err := checker(schemas.Config); err != nil {
		l.Errorf(diag.Pos{File: file}, "internal", "%v", err)
	} else {
		var found diag.List
		c.Check(file, root, &found)
		envs := envScalars(root)
		for _, dg := range found.Items() {
			if dg.Code == "wrong-type" && envs[[2]int{dg.Line, dg.Col}] {
				dg.Message += "; ${VAR} is expanded only where text is expected, so write the value itself here"
			}
			l.Add(dg)
		}
	}
	d := &decoder{file: file, src: src, l: l}
	if root.Kind != yaml.MappingNode {
		return s
	}
	if _, v := yamlnode.Get(root, "flows"); v != nil {
		s.FlowDirs = d.dirs(s.Dir, v, onDisk)
	}
	if _, v := yamlnode.Get(root, "templates"); v != nil {
		s.TemplateDirs = d.dirs(s.Dir, v, onDisk)
	}
	if _, v := yamlnode.Get(root, "events"); v != nil {
		s.EventDirs = d.dirs(s.Dir, v, onDisk)
	}
	if p, n := d.str(root, "customer_schema"); p != "" {
		s.CustomerSchema = relativeTo(s.Dir, p)
		if _, err := os.Stat(s.CustomerSchema); onDisk && err != nil {
			d.errorf(n, "file-missing", "customer schema %s does not exist: create it or remove customer_schema", p)
			s.CustomerSchema = ""
		}
	}
	if p, n := d.str(root, "catalog"); p != "" {
		s.Catalog = relativeTo(s.Dir, p)
		if _, err := os.Stat(s.Catalog); onDisk && err != nil {
			d.errorf(n, "file-missing", "catalog %s does not exist: create it or remove catalog", p)
			s.Catalog = ""
		}
	}
	if tz, n := d.str(root, "timezone"); tz != "" {
		if strings.Contains(tz, "${") {
			s.TimezoneName = tz // known when the engine starts: Expand loads it
		} else if loc := d.location(n); loc != nil {
			s.TimezoneName, s.Location = tz, loc
		}
	}
	s.Currency, _ = d.str(root, "currency")
	s.Database, _ = d.str(root, "database")
	if v, _ := d.str(root, "listen"); v != "" {
		s.Listen = v
	}
	s.PublicURL, _ = d.str(root, "public_url")
	s.Secret, _ = d.str(root, "secret")
	_, ch := yamlnode.Get(root, "channels")
	for _, p := range yamlnode.Pairs(ch) {
		if c := d.channel(p.Key, p.Value); c != nil {
			s.Channels[c.Name] = c
		}
	}
	if _, pn := yamlnode.Get(root, "policies"); pn != nil {
		p := d.policies(pn, s)
		if p.OverLimit == "" {
			p.OverLimit = "defer"
		}
		if p.LateEvents == 0 {
			p.LateEvents = DefaultLateEvents
		}
		s.Policies = *p
	}
	if _, wn := yamlnode.Get(root, "workers"); wn != nil {
		d.workers(wn, &s.Workers)
	}
	if _, dn := yamlnode.Get(root, "delivery"); dn != nil {
		d.delivery(dn, &s.Delivery)
	}
	if _, sn := yamlnode.Get(root, "sources"); sn != nil {
		for _, p := range yamlnode.Pairs(sn) {
			if src := d.source(p.Key, p.Value); src != nil {
				s.Sources[src.Name] = src
			}
		}
	}
	if k, un := yamlnode.Get(root, "ui"); k != nil {
		s.UI = d.ui(k, un)
	}
	return s
}

// ui reads the dashboard's users. A user without a password, or a ui without users, would be a
// dashboard nobody can open or anybody can: both are errors.
func (d *decoder) ui(k, n *yaml.Node) *UI {
	u := &UI{Users: map[string]string{}}
	uk, users := yamlnode.Get(n, "users")
	if n == nil || n.Kind == yaml.MappingNode && uk == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		d.errorf(k, "missing-key", "ui has no users: add `users: {marketing: \"${AFTERGLOW_UI_PASSWORD}\"}`, or remove ui to turn the dashboard off")
		return nil
	}
	if users == nil || users.Kind != yaml.MappingNode {
		return nil // the schema says what is wrong
	}
	if len(users.Content) == 0 {
		d.errorf(users, "invalid-value", "ui.users is empty: name at least one user and a password, like {marketing: \"${AFTERGLOW_UI_PASSWORD}\"}")
		return nil
	}
	for _, p := range yamlnode.Pairs(users) {
		if !yamlnode.IsScalar(p.Value) {
			continue
		}
		if p.Value.Value == "" {
			d.errorf(p.Value, "invalid-value", "user %s has an empty password: give one, as ${VAR} read from the environment", p.Key.Value)
			continue
		}
		u.Users[p.Key.Value] = p.Value.Value
	}
	return u
}

func (d *decoder) dirs(base string, n *yaml.Node, onDisk bool) []string {
	var out []string
	for _, it := range yamlnode.Items(n) {
		if !yamlnode.IsScalar(it) {
			continue
		}
		p := relativeTo(base, it.Value)
		if st, err := os.Stat(p); onDisk && (err != nil || !st.IsDir()) {
			d.errorf(it, "file-missing", "folder %s does not exist (a relative path starts from the folder of afterglow.yaml)", it.Value)
			continue
		}
		out = append(out, p)
	}
	return out
}

// channel reads one channel and checks its connector and the connector's own settings.
func (d *decoder) channel(k, v *yaml.Node) *Channel {
	c := &Channel{Name: k.Value, Line: k.Line, Col: k.Column}
	name, cn := d.str(v, "connector")
	if name == "" {
		return nil
	}
	c.Connector = name
	spec, ok := connectors.Lookup(name)
	if !ok {
		d.errorf(cn, "connector-unknown", "unknown connector %q%s; the connectors are %s", name,
			diag.DidYouMean(name, connectors.Names()), strings.Join(connectors.Names(), ", "))
		return c
	}
	shape, sn := d.str(v, "shape")
	switch {
	case shape != "":
		c.Shape = message.Shape(shape)
		if !spec.Carries(c.Shape) {
			d.errorf(sn, "channel-shape", "connector %s does not carry %s content; it carries %s", name, shape, shapesText(spec.Shapes))
		}
	case len(spec.Shapes) == 1:
		c.Shape = spec.Shapes[0]
	case content.IsShape(c.Name) && spec.Carries(message.Shape(c.Name)):
		c.Shape = message.Shape(c.Name)
	case content.IsShape(name) && spec.Carries(message.Shape(name)):
		// A connector named after a shape (webhook) carries that shape unless told otherwise:
		// `crm: {connector: webhook}` sends webhook content.
		c.Shape = message.Shape(name)
	default:
		d.errorf(k, "channel-shape", "channel %s uses %s, which carries several shapes (%s): say which with `shape:`", c.Name, name, shapesText(spec.Shapes))
	}
	if _, r := yamlnode.Get(v, "rate_limit"); r != nil {
		_ = r.Decode(&c.RateLimit)
	}
	wk, with := yamlnode.Get(v, "with")
	if with != nil {
		c.With, _ = yamlnode.Value(with).(map[string]any)
	}
	d.connectorSettings(spec, k, wk, with)
	return c
}

// source reads one entry of `sources:` and checks it against the source's own schema.
func (d *decoder) source(k, v *yaml.Node) *Source {
	spec, ok := sources.Lookup(k.Value)
	if !ok {
		d.errorf(k, "source-unknown", "unknown event source %q%s; the sources are %s", k.Value,
			diag.DidYouMean(k.Value, sources.Names()), strings.Join(sources.Names(), ", "))
		return nil
	}
	src := &Source{Name: k.Value, Line: k.Line}
	src.With, _ = yamlnode.Value(v).(map[string]any)
	d.sourceSettings(spec, k, v)
	return src
}

func shapesText(ss []message.Shape) string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}

// connectorSettings checks `with` against the connector's own schema. Values that are ${VAR}
// references are only known when the engine starts, so their type and form are not checked here.
func (d *decoder) connectorSettings(spec connectors.Spec, key, withKey, with *yaml.Node) {
	if len(spec.Schema) == 0 {
		return
	}
	id := "https://afterglow.dev/schemas/connectors/" + spec.Name + ".json"
	c, err := connectorChecker(id, spec.Schema)
	if err != nil {
		d.errorf(key, "internal", "connector %s has a broken settings schema: %v", spec.Name, err)
		return
	}
	node := with
	if node == nil || node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: key.Line, Column: key.Column}
	}
	var tmp diag.List
	c.Check(d.file, node, &tmp)
	envs := envScalars(node)
	var needs []string // what a missing `with` lacks, said once
	for _, dg := range tmp.Items() {
		if envs[[2]int{dg.Line, dg.Col}] && dg.Code != "missing-key" && dg.Code != "unknown-key" && dg.Code != "one-of" {
			continue
		}
		// The schema's root is `with`: its own problems are about `with`, and belong at its key.
		root := strings.HasPrefix(dg.Message, "the file ")
		dg.Message = strings.Replace(dg.Message, "the file", "`with`", 1)
		if root && (with == nil || with == node) {
			if with == nil {
				needs = append(needs, strings.TrimPrefix(dg.Message, "`with` "))
				continue
			}
			if withKey != nil && (dg.Code == "missing-key" || dg.Code == "one-of") {
				dg.Line, dg.Col = withKey.Line, withKey.Column
			}
		}
		dg.Message = "connector " + spec.Name + ": " + dg.Message
		d.l.Add(dg)
	}
	if len(needs) > 0 {
		for i, n := range needs {
			needs[i] = strings.TrimPrefix(n, "needs ")
		}
		d.l.Errorf(d.pos(key), "missing-key", "connector %s needs settings under `with`: it needs %s", spec.Name, strings.Join(needs, " and "))
	}
}

// sourceSettings checks an event source's settings against the source's own schema, as
// connectorSettings does a connector's `with`.
func (d *decoder) sourceSettings(spec sources.Spec, key, value *yaml.Node) {
	c, err := connectorChecker("https://afterglow.dev/schemas/sources/"+spec.Name+".json", spec.Schema)
	if err != nil {
		d.errorf(key, "internal", "source %s has a broken settings schema: %v", spec.Name, err)
		return
	}
	node := value
	if node == nil || node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: key.Line, Column: key.Column}
	}
	var tmp diag.List
	c.Check(d.file, node, &tmp)
	envs := envScalars(node)
	for _, dg := range tmp.Items() {
		if envs[[2]int{dg.Line, dg.Col}] && dg.Code != "missing-key" && dg.Code != "unknown-key" && dg.Code != "one-of" {
			continue
		}
		if strings.HasPrefix(dg.Message, "the file ") {
			dg.Message = strings.Replace(dg.Message, "the file", "its settings", 1)
			dg.Line, dg.Col = key.Line, key.Column
		}
		dg.Message = "source " + spec.Name + ": " + dg.Message
		d.l.Add(dg)
	}
}

// envScalars returns the positions of the scalars under n that hold a ${VAR} reference.
func envScalars(n *yaml.Node) map[[2]int]bool {
	out := map[[2]int]bool{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > yamlnode.MaxDepth {
			return
		}
		if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
			out[[2]int{n.Line, n.Column}] = true
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return out
}

func (d *decoder) policies(n *yaml.Node, s *Settings) *Policies {
	p := &Policies{}
	if k, fr := yamlnode.Get(n, "frequency"); k != nil {
		p.FrequencySet = true
		for _, it := range yamlnode.Items(fr) {
			lim := FrequencyLimit{Categories: []string{"marketing"}}
			if _, mv := yamlnode.Get(it, "max"); mv != nil {
				_ = mv.Decode(&lim.Max)
			}
			if _, pv := yamlnode.Get(it, "per"); pv != nil {
				lim.Per, _ = d.duration(pv)
			}
			if _, cv := yamlnode.Get(it, "categories"); cv != nil {
				lim.Categories = d.strings(cv)
			}
			if _, cv := yamlnode.Get(it, "channels"); cv != nil {
				lim.Channels = d.channelRefs(cv, s)
			}
			if lim.Max > 0 && lim.Per > 0 {
				p.Frequency = append(p.Frequency, lim)
			}
		}
	}
	if k, qh := yamlnode.Get(n, "quiet_hours"); k != nil {
		p.QuietSet = true
		if qh != nil && qh.Kind == yaml.MappingNode {
			_, fv := yamlnode.Get(qh, "from")
			_, tv := yamlnode.Get(qh, "to")
			from, to := d.timeOfDay(fv), d.timeOfDay(tv)
			if from != nil && to != nil {
				q := &QuietHours{From: *from, To: *to}
				if _, cv := yamlnode.Get(qh, "channels"); cv != nil {
					q.Channels = d.channelRefs(cv, s)
				}
				if from.Minutes() == to.Minutes() {
					d.errorf(tv, "invalid-value", "quiet hours from %s to %s are empty; remove quiet_hours or widen them", from, to)
				}
				p.QuietHours = q
			}
		}
	}
	p.OverLimit, _ = d.str(n, "over_limit")
	if _, v := yamlnode.Get(n, "late_events"); v != nil {
		if l, ok := d.duration(v); ok {
			if l <= 0 {
				d.errorf(v, "invalid-value", "late_events must be longer than 0: every event would be late and none would start a journey")
			} else {
				p.LateEvents = l
			}
		}
	}
	return p
}

// channelRefs reads channel names and checks them against the settings, when known.
func (d *decoder) channelRefs(n *yaml.Node, s *Settings) []string {
	var out []string
	for _, it := range yamlnode.Items(n) {
		if !yamlnode.IsScalar(it) {
			continue
		}
		out = append(out, it.Value)
		if s != nil && s.File != "" && s.Channels[it.Value] == nil {
			d.errorf(it, "channel-unknown", "unknown channel %q%s; the channels are %s", it.Value,
				diag.DidYouMean(it.Value, s.ChannelNames()), strings.Join(s.ChannelNames(), ", "))
		}
	}
	return out
}

func (d *decoder) delivery(n *yaml.Node, out *Delivery) {
	if _, v := yamlnode.Get(n, "concurrency"); v != nil {
		_ = v.Decode(&out.Concurrency)
	}
	if _, v := yamlnode.Get(n, "max_attempts"); v != nil {
		_ = v.Decode(&out.MaxAttempts)
	}
	if _, v := yamlnode.Get(n, "lease"); v != nil {
		if l, ok := d.duration(v); ok {
			out.Lease = l
		}
	}
}

// workers reads counts the schema checked already (whole numbers, at least 1).
func (d *decoder) workers(n *yaml.Node, out *Workers) {
	for key, dst := range map[string]*int{"ingest": &out.Ingest, "timers": &out.Timers} {
		var v int
		if _, vn := yamlnode.Get(n, key); vn != nil && vn.Decode(&v) == nil && v > 0 {
			*dst = v
		}
	}
}

// relativeTo resolves a path written in afterglow.yaml: relative to the file's folder, unless it
// is absolute.
func relativeTo(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}
