package all_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/internal/settings"
	"github.com/afterglowhq/afterglow/sources"
	_ "github.com/afterglowhq/afterglow/sources/all"
)

var builtins = []string{"http", "shopify", "woocommerce"}

type discard struct{}

func (discard) Submit(context.Context, []event.Event) error { return nil }

func TestEveryBuiltinRegisters(t *testing.T) {
	if got := sources.Names(); !reflect.DeepEqual(got, builtins) {
		t.Fatalf("registered %v, want %v", got, builtins)
	}
	paths := map[string]bool{}
	for _, s := range sources.All() {
		if s.Summary == "" || !strings.HasPrefix(s.Path, "/") || paths[s.Path] {
			t.Errorf("%s: summary %q, path %q; want a summary and a path of its own", s.Name, s.Summary, s.Path)
		}
		paths[s.Path] = true
	}
}

func schemaOf(t *testing.T, s sources.Spec) (*jsonschema.Schema, map[string]any) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	url := "source-" + s.Name + ".schema.json"
	if err := c.AddResource(url, bytes.NewReader(s.Schema)); err != nil {
		t.Fatalf("%s: schema is not JSON: %v", s.Name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: schema does not compile as draft 2020-12: %v", s.Name, err)
	}
	var root map[string]any
	d := json.NewDecoder(bytes.NewReader(s.Schema))
	d.UseNumber()
	if err := d.Decode(&root); err != nil {
		t.Fatal(err)
	}
	return sch, root
}

// Each source declares its settings once, in its schema: validate checks afterglow.yaml against
// it, and the constructor reads exactly its properties.
func TestSchemasMatchWhatTheConstructorsRead(t *testing.T) {
	for _, s := range sources.All() {
		t.Run(s.Name, func(t *testing.T) {
			sch, root := schemaOf(t, s)
			if root["type"] != "object" || root["additionalProperties"] != false {
				t.Errorf("want type object with additionalProperties false")
			}
			if d, _ := root["description"].(string); d == "" {
				t.Error("the schema has no description")
			}
			props, _ := root["properties"].(map[string]any)
			var want []string
			for name, p := range props {
				want = append(want, name)
				if d, _ := p.(map[string]any)["description"].(string); d == "" {
					t.Errorf("property %s has no description", name)
				}
			}
			sort.Strings(want)
			examples, _ := root["examples"].([]any)
			if len(examples) == 0 {
				t.Fatal("the schema has no examples")
			}
			for i, ex := range examples {
				if err := sch.Validate(ex); err != nil {
					t.Errorf("example %d does not validate: %v", i+1, err)
				}
			}

			_, err := s.New(map[string]any{"no_such_setting": 1}, sources.Options{Sink: discard{}})
			var u *settings.UnknownError
			if !errors.As(err, &u) {
				t.Fatalf("an unknown setting is not reported: %v", err)
			}
			if !slices.Equal(u.Known, want) {
				t.Errorf("constructor reads %v, schema lists %v", u.Known, want)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("sources.%s: unknown setting \"no_such_setting\"", s.Name)) {
				t.Errorf("error does not name the source and the setting: %v", err)
			}

			// The first example builds a handler that answers on its path (401: no credentials).
			with, _ := examples[0].(map[string]any)
			for k, v := range with {
				if str, ok := v.(string); ok && strings.HasPrefix(str, "${") {
					with[k] = "dev-value"
				}
			}
			h, err := s.New(with, sources.Options{Sink: discard{}})
			if err != nil {
				t.Fatalf("the first example does not build: %v", err)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, s.Path, strings.NewReader("{}")))
			if w.Code != http.StatusUnauthorized {
				t.Errorf("an unsigned POST to %s: %d, want 401", s.Path, w.Code)
			}
		})
	}
}
