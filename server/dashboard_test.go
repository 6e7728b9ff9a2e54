package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Without `ui:` the dashboard does not exist; with it, it asks who is there.
func TestTheDashboardIsServedOnlyWhenTurnedOn(t *testing.T) {
	base := "database: memory\nlisten: 127.0.0.1:0\nchannels:\n  email: {connector: console}\n"
	get := func(srv *Server, path, user, pass string) *http.Response {
		req := httptest.NewRequest("GET", path, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		srv.http.Handler.ServeHTTP(w, req)
		return w.Result()
	}
	off := newServer(t, base, nil)
	for _, p := range []string{"/ui/", "/ui/style.css", "/api/report", "/api/customers/a"} {
		if res := get(off, p, "marketing", "pw"); res.StatusCode != http.StatusNotFound {
			t.Errorf("without ui, %s: %d, want 404", p, res.StatusCode)
		}
	}
	on := newServer(t, base+"ui: {users: {marketing: \"${UI_PW}\"}}\n", map[string]string{"UI_PW": "s3cret"})
	if res := get(on, "/ui/", "", ""); res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("with ui, no credentials: %d %q, want 401 asking for them", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	for _, p := range []string{"/ui/", "/ui/style.css", "/api/report", "/ui/customers", "/ui/flows"} {
		if res := get(on, p, "marketing", "s3cret"); res.StatusCode != http.StatusOK {
			t.Errorf("with ui, %s: %d, want 200", p, res.StatusCode)
		}
	}
	if res := get(on, "/healthz", "", ""); res.StatusCode != http.StatusOK {
		t.Errorf("the dashboard's sign-in reaches /healthz: %d", res.StatusCode)
	}
}
