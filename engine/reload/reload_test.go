package reload

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/afterglowhq/afterglow/connectors/all"
	"github.com/afterglowhq/afterglow/dsl"
	_ "github.com/afterglowhq/afterglow/sources/all"
	"github.com/rs/zerolog"
)

const flowV1 = `
flow: thanks
trigger: {event: order.placed}
steps:
  - {id: hi, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: One, text: One}}}}}
`

func write(t *testing.T, p, s string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// applied collects the workspaces a reloader installs.
type applied struct {
	mu  sync.Mutex
	got []*dsl.Workspace
	ch  chan struct{}
}

func (a *applied) apply(ws *dsl.Workspace) error {
	a.mu.Lock()
	a.got = append(a.got, ws)
	a.mu.Unlock()
	a.ch <- struct{}{}
	return nil
}

func (a *applied) last() *dsl.Workspace {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.got[len(a.got)-1]
}

func TestWatchAppliesValidChangesAndKeepsTheLastGood(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "afterglow.yaml"), "channels:\n  email: {connector: console}\n")
	flow := filepath.Join(dir, "flows", "thanks.yaml")
	write(t, flow, flowV1)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	a := &applied{ch: make(chan struct{}, 10)}
	r := &Reloader{SettingsFile: filepath.Join(dir, "afterglow.yaml"), Apply: a.apply, Log: zerolog.Nop(), Quiet: 50 * time.Millisecond}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	v1 := a.last().Flows[0].Version
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trigger := make(chan struct{})
	go r.Watch(ctx, trigger)
	time.Sleep(100 * time.Millisecond) // let the watcher start

	// An editor that saves by writing a temporary file and renaming it over the flow.
	tmp := flow + ".tmp~"
	write(t, tmp, flowV1+"  - {id: pause, wait: 1d}\n")
	if err := os.Rename(tmp, flow); err != nil {
		t.Fatal(err)
	}
	waitApplied(t, a)
	if v := a.last().Flows[0].Version; v == v1 {
		t.Fatal("the renamed-over flow was not reloaded")
	}

	// A broken flow is rejected; nothing is applied and the status says so.
	write(t, flow, "flow: thanks\ntrigger: {event: order.placed}\nsteps: [{id: x, wait: soon}]\n")
	deadline := time.Now().Add(5 * time.Second)
	for r.Status().LastOK && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if st := r.Status(); st.LastOK || st.Failures != 1 {
		t.Fatalf("status after a broken flow: %+v", st)
	}
	select {
	case <-a.ch:
		t.Fatal("a workspace with errors was applied")
	default:
	}

	// SIGHUP (the trigger) reloads too, here after the flow is fixed.
	write(t, flow, flowV1)
	time.Sleep(100 * time.Millisecond)
	for len(a.ch) > 0 {
		<-a.ch
	}
	trigger <- struct{}{}
	waitApplied(t, a)
	if v := a.last().Flows[0].Version; v != v1 {
		t.Error("the fixed flow should be back to its first version")
	}
}

func waitApplied(t *testing.T, a *applied) {
	t.Helper()
	select {
	case <-a.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload happened")
	}
}

// stage writes a ConfigMap's files as the kubelet does, into a new hidden folder; swap then
// renames a new `..data` link to it over the old one, each file being a link through `..data`.
func stage(t *testing.T, dir, gen string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		write(t, filepath.Join(dir, gen, name), src)
	}
}

func swap(t *testing.T, dir, gen string, files map[string]string) {
	t.Helper()
	if err := os.Symlink(gen, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestWatchSeesAConfigMapUpdate(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"afterglow.yaml": "flows: [.]\ntemplates: [.]\nchannels:\n  email: {connector: console}\n", "thanks.yaml": flowV1}
	stage(t, dir, "..2026_01_01_00_00_01.1", files)
	swap(t, dir, "..2026_01_01_00_00_01.1", files)
	a := &applied{ch: make(chan struct{}, 10)}
	r := &Reloader{SettingsFile: filepath.Join(dir, "afterglow.yaml"), Apply: a.apply, Log: zerolog.Nop(), Quiet: 50 * time.Millisecond}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	v1 := a.last().Flows[0].Version
	// The new files are in place before the watcher starts, so that the swap of `..data` is
	// the only change it sees.
	files["thanks.yaml"] = flowV1 + "  - {id: pause, wait: 1d}\n"
	stage(t, dir, "..2026_01_01_00_00_02.2", files)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Watch(ctx, nil)
	time.Sleep(100 * time.Millisecond) // let the watcher start

	swap(t, dir, "..2026_01_01_00_00_02.2", files)
	waitApplied(t, a)
	if v := a.last().Flows[0].Version; v == v1 {
		t.Fatal("the ConfigMap's new flow was not loaded")
	}
}

// A link to /dev/zero or a named pipe dropped into the flows folder of a running engine is a
// rejected reload, reported at once, not a process reading forever or waiting for a writer.
func TestReloadRefusesFilesThatAreNotRegular(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "afterglow.yaml"), "channels:\n  email: {connector: console}\n")
	write(t, filepath.Join(dir, "flows", "thanks.yaml"), flowV1)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	a := &applied{ch: make(chan struct{}, 10)}
	r := &Reloader{SettingsFile: filepath.Join(dir, "afterglow.yaml"), Apply: a.apply, Log: zerolog.Nop()}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	<-a.ch
	for _, c := range []struct {
		name string
		make func(p string) error
	}{
		{"zero.yaml", func(p string) error { return os.Symlink("/dev/zero", p) }},
		{"pipe.yaml", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
	} {
		p := filepath.Join(dir, "flows", c.name)
		if err := c.make(p); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.Reload() }()
		select {
		case err := <-done:
			a.mu.Lock()
			n := len(a.got)
			a.mu.Unlock()
			if err == nil || r.Status().LastOK || n != 1 {
				t.Errorf("%s: reload %v, last ok %v, %d applied; want it rejected", c.name, err, r.Status().LastOK, n)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the reload is still reading after 20s", c.name)
		}
		os.Remove(p)
	}
	if err := r.Reload(); err != nil {
		t.Fatalf("the workspace was fixed: %v", err)
	}
}
