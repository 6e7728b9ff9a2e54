package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A workspace holding a link to /dev/zero, a link to the process's environment, a named pipe and
// an oversized file: validate, test and simulate name each and say why, read none of them, never
// print the environment, and finish at once.
func TestHostileWorkspaceFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("afterglow.yaml", "flows: [flows]\ntemplates: [templates]\ntimezone: America/Lima\nchannels:\n  email: {connector: console}\n")
	write("flows/thanks.yaml", `flow: thanks
trigger: {event: order.placed}
steps:
  - {id: hi, send: {channel: email, category: transactional, content: {default_locale: en, locales: {en: {subject: Thanks, text: Thanks}}}}}
`)
	write("tests/thanks.test.yaml", `name: Ana is thanked
flows: [thanks]
start: 2025-10-14T10:00:00Z
customers: {ana: {email: ana@example.com}}
events: [{at: 0s, type: order.placed, customer: ana}]
until: 1d
expect: {messages: [{at: 0s, customer: ana, step: hi}]}
`)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	write("events.ndjson", `{"specversion":"1.0","id":"e1","source":"t","type":"order.placed","subject":"ana","time":"2025-10-14T10:00:00Z","data":{}}`+"\n")
	for name, target := range map[string]string{"flows/zero.yaml": "/dev/zero", "templates/env.yaml": "/proc/self/environ"} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "flows/pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("templates/big.yaml", "")
	if err := os.Truncate(filepath.Join(dir, "templates/big.yaml"), 3<<20); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AFTERGLOW_CANARY", "s3cr3t-canary")

	want := []string{
		"flows/zero.yaml: error: cannot read: zero.yaml is a link to /dev/zero, outside the workspace",
		"templates/env.yaml: error: cannot read: env.yaml is a link to /proc/",
		"flows/pipe.yaml: error: cannot read: pipe.yaml is a named pipe (FIFO)",
		"templates/big.yaml: error: cannot read: big.yaml is 3.0 MB or more",
	}
	for _, argv := range [][]string{
		{"validate", dir},
		{"test", dir},
		{"simulate", dir},
	} {
		type result struct {
			out  string
			code int
		}
		done := make(chan result, 1)
		go func() {
			out, errs, code := run(t, argv...)
			done <- result{out + errs, code}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("afterglow %s is still running after 30s", argv[0])
		}
		if r.code == 0 || strings.Contains(r.out, "s3cr3t") {
			t.Errorf("afterglow %s: exit %d; want a failure, and never the environment:\n%s", argv[0], r.code, r.out)
		}
		for _, w := range want {
			if !strings.Contains(r.out, w) {
				t.Errorf("afterglow %s does not say %q:\n%s", argv[0], w, r.out)
			}
		}
	}
}
