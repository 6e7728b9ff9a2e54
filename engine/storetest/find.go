package storetest

import (
	"context"
	"testing"

	"github.com/afterglowhq/afterglow/engine/store"
)

func init() {
	register("FindCustomers/EmailOrIDPrefix", testFindCustomers)
}

func testFindCustomers(t *testing.T, st store.Store) {
	inTx(t, st, func(ctx context.Context, tx store.Tx) error {
		cs, err := tx.LockCustomers(ctx, []string{"cus_100", "cus_101", "cus_2", "x_1", "a%b", "a_c"}, t0)
		if err != nil {
			return err
		}
		emails := map[string]string{"cus_100": "Ana@Example.com", "cus_2": "bo@example.com", "x_1": "ana@example.com.pe"}
		for _, c := range cs {
			if e, ok := emails[c.ID]; ok {
				c.Attrs["email"] = e
			}
		}
		return tx.SaveCustomers(ctx, cs)
	})
	cases := []struct {
		q     string
		limit int
		want  []string
	}{
		{"ana@example.com", 10, []string{"cus_100"}},   // the email, whatever its case, and only the whole email
		{"BO@EXAMPLE.COM", 10, []string{"cus_2"}},      // upper case typed
		{"cus_10", 10, []string{"cus_100", "cus_101"}}, // an id's beginning
		{"cus_", 2, []string{"cus_100", "cus_101"}},    // at most limit, by id
		{"a%", 10, []string{"a%b"}},                    // % and _ are letters, not patterns
		{"a_", 10, []string{"a_c"}},
		{"example.com", 10, nil}, // part of an email finds nothing
		{"", 10, nil},
		{"nobody", 10, nil},
	}
	for _, c := range cases {
		got, err := st.FindCustomers(ctxT(t), c.q, c.limit)
		must(t, err)
		sameIDs(t, "found by "+c.q, customerIDs(got), c.want)
	}
	got, err := st.FindCustomers(ctxT(t), "ana@example.com", 1)
	must(t, err)
	if len(got) != 1 || got[0].Attrs["email"] != "Ana@Example.com" || !got[0].CreatedAt.Equal(t0) {
		t.Errorf("found %+v; want the whole customer", got)
	}
}
