package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// A restart while the workspace on disk has errors runs the last valid workspace the database
// holds: the process is ready, says so in its log and /metrics, keeps sending, and takes the
// files again once they are fixed. A database that never ran a workspace refuses the start.
func TestStartOnABrokenWorkspace(t *testing.T) {
	t.Parallel()
	db := newDatabase(t, true)
	sk := newSink(t, channelSecret)
	ws := newWorkspace(t, sk.URL())
	first := start(t, "first", ws.config, ws.base, ws.env(db, "first"))
	first.signal(syscall.SIGTERM)
	if code := first.wait(30 * time.Second); code != 0 {
		t.Fatalf("the first process exited %d", code)
	}

	good := flowFiles["flows/thanks.yaml"]
	broken := "flow: thanks\ntrigger: {event: order.placed\nsteps: []\n"
	ws.save(t, "flows/thanks.yaml", broken)
	p := start(t, "broken", ws.config, ws.base, ws.env(db, "broken"))
	var said bool
	for _, e := range p.logs.entries(t, 0) {
		if msg, _ := e["message"].(string); e["level"] == "error" && strings.Contains(msg, "running the last valid workspace from the database") {
			said = true
		}
	}
	if !said {
		t.Errorf("the log does not say the workspace comes from the database:\n%s", p.logs.tail(30))
	}
	m := scrape(t, ws.base)
	if m.get("afterglow_workspace_from_database") != 1 || m.get("afterglow_reload_success") != 0 {
		t.Errorf("afterglow_workspace_from_database %v, afterglow_reload_success %v; want 1 and 0",
			m.get("afterglow_workspace_from_database"), m.get("afterglow_reload_success"))
	}

	// The last valid thank-you flow runs.
	orderID := "LG-" + randomHex(3)
	postEvents(t, ws.base,
		event("lg-c-"+orderID, "customer.updated", "c-lastgood", map[string]any{"first_name": "Lia", "email": "lia@example.com"}),
		event("lg-o-"+orderID, "order.placed", "c-lastgood", order(orderID)))
	got := sk.await(t, "a thank-you from the database's workspace", 1, func(d delivery) bool {
		return d.Body.Flow == "thanks" && strings.Contains(d.text(), orderID)
	})
	if txt := got[0].text(); !strings.Contains(txt, "Thank you, Lia! Order "+orderID) {
		t.Errorf("the thank-you reads %q; want the last valid template's", txt)
	}

	successes := m.get("afterglow_reloads_total", "result", "success")
	ws.save(t, "flows/thanks.yaml", good)
	awaitReload(t, ws.base, "success", successes)
	if m := scrape(t, ws.base); m.get("afterglow_workspace_from_database") != 0 || m.get("afterglow_reload_success") != 1 {
		t.Errorf("after the fix: afterglow_workspace_from_database %v, afterglow_reload_success %v; want 0 and 1",
			m.get("afterglow_workspace_from_database"), m.get("afterglow_reload_success"))
	}

	t.Run("a database that never ran a workspace", func(t *testing.T) {
		fresh := newDatabase(t, true)
		other := newWorkspace(t, sk.URL())
		other.save(t, "flows/thanks.yaml", broken)
		code, log := runToExit(t, other.config, other.env(fresh, "x"))
		if code != 1 || !strings.Contains(log, "the database holds no workspace run before") || !strings.Contains(log, "thanks.yaml") {
			t.Errorf("exit %d, log:\n%s\nwant exit 1, the file's error and that the database holds no workspace", code, log)
		}
	})
}
