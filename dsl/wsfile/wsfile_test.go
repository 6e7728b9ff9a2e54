package wsfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A workspace file is a regular file of bounded size, or a link to one inside the workspace.
// Everything else is refused by what it is, never read, and at once.
func TestRead(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	file := func(name, src string) string {
		p := filepath.Join(ws, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(name, target string) string {
		p := filepath.Join(ws, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file("flows/a.yaml", "flow: a\n")
	file("shared/b.yaml", "flow: b\n")
	os.WriteFile(filepath.Join(outside, "c.yaml"), []byte("flow: c\n"), 0o644)
	link("flows/b.yaml", "../shared/b.yaml")
	link("flows/c.yaml", filepath.Join(outside, "c.yaml"))
	link("flows/zero.yaml", "/dev/zero")
	link("flows/env.yaml", "/proc/self/environ")
	link("flows/dangling.yaml", "nowhere.yaml")
	if err := syscall.Mkfifo(filepath.Join(ws, "flows/pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := file("flows/big.yaml", "")
	if err := os.Truncate(big, MaxBytes+1); err != nil { // sparse: nothing to read before the check
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(ws, "flows/dir.yaml"), 0o755)

	os.Setenv("AFTERGLOW_WSFILE_CANARY", "s3cr3t-canary")
	cases := []struct {
		name, want, code string
	}{
		{"a.yaml", "flow: a\n", ""},
		{"b.yaml", "flow: b\n", ""}, // a link inside the workspace
		{"c.yaml", "", "file-type: c.yaml is a link to " + filepath.Join(outside, "c.yaml") + ", outside the workspace"},
		{"zero.yaml", "", "file-type: zero.yaml is a link to /dev/zero, outside the workspace"},
		{"env.yaml", "", "file-type: env.yaml is a link to /proc/"},
		{"pipe.yaml", "", "file-type: pipe.yaml is a named pipe (FIFO)"},
		{"big.yaml", "", "file-size: big.yaml is 2.0 MB or more; a flow, template, settings or test file must stay under 2 MB"},
		{"dir.yaml", "", "file-type: dir.yaml is a folder"},
		{"dangling.yaml", "", "io: dangling.yaml is a link that leads nowhere"},
	}
	for _, c := range cases {
		done := make(chan struct{})
		var got []byte
		var err error
		go func() {
			defer close(done)
			got, err = Read(filepath.Join(ws, "flows", c.name), ws, filepath.Join(ws, "flows"))
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading after 10s", c.name)
		}
		if c.code == "" {
			if err != nil || string(got) != c.want {
				t.Errorf("%s: %q %v; want %q", c.name, got, err, c.want)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(Code(err)+": "+err.Error(), c.code) {
			t.Errorf("%s: %v (%s); want %s", c.name, err, Code(err), c.code)
		}
		if len(got) > 0 || err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: read %d bytes: %v", c.name, len(got), err)
		}
	}
	// A file the settings name by an absolute path is read where it is.
	if got, err := Read(filepath.Join(outside, "c.yaml"), ws, outside); err != nil || string(got) != "flow: c\n" {
		t.Errorf("a file in a named folder: %q %v", got, err)
	}
}
