package sources

import (
	"net/http"
	"testing"
)

func TestRegisterRefusesClashes(t *testing.T) {
	mk := func(name, path string) Spec {
		return Spec{Name: name, Path: path, Schema: []byte(`{}`),
			New: func(map[string]any, Options) (http.Handler, error) { return http.NotFoundHandler(), nil }}
	}
	Register(mk("test-a", "/test/a"))
	if s, ok := Lookup("test-a"); !ok || s.Path != "/test/a" {
		t.Fatalf("Lookup after Register: %+v %v", s, ok)
	}
	for _, s := range []Spec{mk("test-a", "/test/other"), mk("test-b", "/test/a"), {Name: "test-c", Path: "/test/c"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%s at %s) did not panic", s.Name, s.Path)
				}
			}()
			Register(s)
		}()
	}
}
