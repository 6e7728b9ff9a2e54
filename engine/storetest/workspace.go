package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("FlowVersionTemplates", testFlowVersionTemplates)
	register("LastWorkspace", testLastWorkspace)
}

// A flow version keeps the template files it names; one stored before templates were kept has
// none (nil), which is not the same as naming none (empty).
func testFlowVersionTemplates(t *testing.T, st store.Store) {
	with := store.FlowVersion{Version: "v-with", FlowID: "nps", Source: []byte("flow: nps\n"), File: "flows/nps.yaml",
		Templates: []store.TemplateSource{{Name: "nps-survey", File: "templates/nps-survey.yaml", Source: "template: nps-survey\n# ¿Qué tal?\n"}}}
	none := store.FlowVersion{Version: "v-none", FlowID: "thanks", Source: []byte("flow: thanks\n"), File: "flows/thanks.yaml", Templates: []store.TemplateSource{}}
	legacy := store.FlowVersion{Version: "v-legacy", FlowID: "old", Source: []byte("flow: old\n"), File: "flows/old.yaml"}
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.SaveFlowVersions(ctx, []store.FlowVersion{with, none, legacy})
	})
	for _, want := range []store.FlowVersion{with, none, legacy} {
		got, err := st.FlowVersion(ctxT(t), want.Version)
		must(t, err)
		deepEqual(t, "flow version "+want.Version, *got, want)
		inTx(t, st, func(ctx context.Context, tx store.Tx) error {
			r, ok := tx.(interface {
				FlowVersion(context.Context, string) (*store.FlowVersion, error)
			})
			if !ok {
				return nil
			}
			got, err := r.FlowVersion(ctx, want.Version)
			if err != nil {
				return err
			}
			deepEqual(t, "flow version "+want.Version+" read in a transaction", *got, want)
			return nil
		})
	}
}

// The last workspace saved replaces the one before; a failed transaction saves none.
func testLastWorkspace(t *testing.T, st store.Store) {
	if _, err := st.LastWorkspace(ctxT(t)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an empty store: %v, want store.ErrNotFound", err)
	}
	first := &store.Workspace{SavedAt: t0, Dir: "/srv/shop", SettingsFile: "/srv/shop/afterglow.yaml", Settings: []byte("timezone: ${SHOP_TZ}\n"),
		Versions: []string{"a1", "b2"}}
	second := &store.Workspace{SavedAt: t0.Add(time.Hour), Dir: "/srv/shop", SettingsFile: "/srv/shop/afterglow.yaml", Settings: []byte("timezone: UTC\n"),
		SchemaFile: "/srv/shop/schemas/customer.schema.json", Schema: []byte(`{"type":"object"}`), Versions: []string{"a1", "c3"},
		Events:      []store.SourceFile{{File: "/srv/shop/events/loyalty.points.schema.json", Source: `{"type": "object"}`}},
		CatalogFile: "/srv/shop/catalog/products.yaml", Catalog: []byte("products: []\n")}
	for _, w := range []*store.Workspace{first, second} {
		inTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.SaveWorkspace(ctx, w) })
		got, err := st.LastWorkspace(ctxT(t))
		must(t, err)
		got.SavedAt = got.SavedAt.UTC()
		deepEqual(t, "last workspace", *got, *w)
	}
	err := st.InTx(ctxT(t), func(tx store.Tx) error {
		if err := tx.SaveWorkspace(ctxT(t), first); err != nil {
			return err
		}
		return errors.New("rolled back")
	})
	if err == nil {
		t.Fatal("the failing transaction committed")
	}
	got, err := st.LastWorkspace(ctxT(t))
	must(t, err)
	got.SavedAt = got.SavedAt.UTC()
	deepEqual(t, "last workspace after a rollback", *got, *second)
}
