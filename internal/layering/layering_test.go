// Package layering holds the test that keeps the packages' imports pointing the way
// docs/architecture.md draws them: the data path reads one way, and a package that needs something
// of a later stage gets it through a small leaf package both import, never by importing the later
// stage.
package layering

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/afterglowhq/afterglow/"

// The rules, each a set of packages and what they must never depend on, directly or not.
var rules = []struct {
	who, never func(pkg string) bool
	why        string
}{
	{is("message", "event", "schemas", "engine/clock", "internal/settings", "internal/registry"), anyPkg,
		"the leaves: the data every stage passes on, and what every part may use"},
	{under("engine/store"), either(is("dsl", "engine", "server", "sim", "scenario"), under("connectors", "sources", "engine/dispatch", "engine/ingest", "engine/policy", "engine/reload")),
		"the stores keep state; they know events and messages, not the language, the engine or the channels"},
	{under("connectors"), either(is("dsl", "server", "sim", "scenario", "validate"), under("engine", "sources")),
		"a connector carries a message; it knows nothing of flows, the engine or where events come from"},
	{under("sources"), either(is("dsl", "server", "sim", "scenario", "validate"), under("engine", "connectors")),
		"a source turns requests into events and hands them to a sink; it knows nothing of flows or the engine"},
	{under("dsl"), either(is("server", "sim", "scenario", "validate", "importer"), under("engine"), concrete("connectors"), concrete("sources")),
		"the language reads workspaces; it looks connectors and sources up in their registries, never at one of them"},
	{both(under("engine"), not(helper)), either(is("server", "cmd/afterglow", "validate", "scenario"), concrete("connectors"), concrete("sources")),
		"the engine runs flows over a store; the server wires it to sources and connectors"},
	{not(is("cmd/afterglow")), is("server", "cmd/afterglow"),
		"only the command line runs the server"},
	{both(under("insight"), not(helper)), either(is("engine", "dsl", "server", "sim", "scenario", "validate", "importer"), under("connectors", "sources", "engine/dispatch", "engine/ingest", "engine/policy", "engine/reload")),
		"a report reads what the stores keep; it knows nothing of running flows, the language or the channels"},
}

func TestImportsFollowTheLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		for _, r := range rules {
			if !r.who(pkg) {
				continue
			}
			checked++
			for _, dep := range fields[1:] {
				d, ours := strings.CutPrefix(dep, module)
				if ours && d != pkg && r.never(d) {
					t.Errorf("%s depends on %s, against the layers: %s (docs/architecture.md)", pkg, d, r.why)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d packages matched a rule; the rules no longer describe the module", checked)
	}
}

func is(names ...string) func(string) bool {
	return func(p string) bool {
		for _, n := range names {
			if p == n {
				return true
			}
		}
		return false
	}
}

// under matches a package and everything in its folder.
func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, n := range prefixes {
			if p == n || strings.HasPrefix(p, n+"/") {
				return true
			}
		}
		return false
	}
}

// concrete matches the implementations under a registry (connectors/smtp), not the registry
// itself, the package that imports them all, or its internal helpers.
func concrete(registry string) func(string) bool {
	return func(p string) bool {
		rest, ok := strings.CutPrefix(p, registry+"/")
		return ok && rest != "all" && !strings.HasPrefix(rest, "internal")
	}
}

// helper matches packages that exist for tests (enginetest, storetest, chaostest): they may wire
// everything together, as tests do.
func helper(p string) bool { return strings.HasSuffix(p, "test") }

func anyPkg(string) bool { return true }

func either(fs ...func(string) bool) func(string) bool {
	return func(p string) bool {
		for _, f := range fs {
			if f(p) {
				return true
			}
		}
		return false
	}
}

func both(a, b func(string) bool) func(string) bool {
	return func(p string) bool { return a(p) && b(p) }
}

func not(f func(string) bool) func(string) bool { return func(p string) bool { return !f(p) } }
