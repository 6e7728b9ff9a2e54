package dsl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/timespec"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// Expand replaces ${VAR} (and ${VAR:-default}) with values from lookup. It returns the names of
// variables that are neither set nor given a default.
func Expand(s string, lookup func(string) (string, bool)) (string, []string) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		g := envRef.FindStringSubmatch(m)
		if v, ok := lookup(g[1]); ok && v != "" {
			return v
		}
		if g[2] != "" {
			return g[3]
		}
		missing = append(missing, g[1])
		return ""
	})
	return out, missing
}

// Expand returns a copy of the settings with every ${VAR} resolved. A variable that is not set is
// an error naming each one, so that the engine never starts with an empty secret.
func (s *Settings) Expand(lookup func(string) (string, bool)) (*Settings, error) {
	out := *s
	missing := map[string]bool{}
	str := func(v string) string {
		r, m := Expand(v, lookup)
		for _, n := range m {
			missing[n] = true
		}
		return r
	}
	out.Database, out.Listen, out.PublicURL, out.Secret = str(s.Database), str(s.Listen), str(s.PublicURL), str(s.Secret)
	out.Sources = map[string]*Source{}
	for name, src := range s.Sources {
		cc := *src
		cc.With, _ = expandAny(src.With, str).(map[string]any)
		out.Sources[name] = &cc
	}
	if s.UI != nil {
		out.UI = &UI{Users: map[string]string{}}
		for name, pw := range s.UI.Users {
			out.UI.Users[name] = str(pw)
		}
	}
	if strings.Contains(s.TimezoneName, "${") {
		out.TimezoneName = str(s.TimezoneName)
		loc, err := timespec.LoadLocation(out.TimezoneName)
		if err != nil && len(missing) == 0 {
			return nil, fmt.Errorf("%s: timezone: %v", s.File, err)
		}
		out.Location = loc
	}
	out.Channels = map[string]*Channel{}
	for name, c := range s.Channels {
		cc := *c
		cc.With, _ = expandAny(c.With, str).(map[string]any)
		out.Channels[name] = &cc
	}
	if len(missing) > 0 {
		var names []string
		for n := range missing {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%s uses environment variables that are not set: %s (set them, or give a default with ${NAME:-value})",
			s.File, strings.Join(names, ", "))
	}
	return &out, nil
}

func expandAny(v any, str func(string) string) any {
	switch x := v.(type) {
	case string:
		return str(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expandAny(e, str)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expandAny(e, str)
		}
		return out
	}
	return v
}
