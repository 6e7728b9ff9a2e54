package shopifycsv

import (
	"errors"
	"strings"
	"testing"
)

// Every malformed row is reported with its file and the line where it starts (counting the lines
// inside quoted values), says what is wrong and what to do, and does not stop the reading: the
// other orders still come out.
func TestOrderProblems(t *testing.T) {
	type want struct {
		line     int
		contains []string
	}
	rows := func() *records { return corpusRecords(t, "orders_export.csv") }
	// Data rows 0..8 are on lines 2, 3-4, 5, 6, 7, 8, 9, 10, 11.
	cases := []struct {
		name   string
		text   string
		want   []want
		orders int // good orders still read
	}{
		{"amount with a decimal comma", rows().set(0, "Total", "30,50").csv(t),
			[]want{{2, []string{"order #1001", "Total", `"30,50" is not an amount`, "decimal comma"}}}, 4},
		{"amount rounded by a spreadsheet", rows().set(3, "Lineitem price", "1.2E+01").csv(t),
			[]want{{6, []string{"order #1002", "Lineitem price", "rounded by a spreadsheet"}}}, 4},
		{"time rewritten by a spreadsheet", rows().set(7, "Created at", "3/14/2024 17:30").csv(t),
			[]want{{10, []string{"order #1005", "Created at", "not a time", "export the file again"}}}, 4},
		{"bad time after a multi-line value", rows().set(5, "Cancelled at", "yesterday").csv(t),
			[]want{{8, []string{"order #1004", "Cancelled at", `"yesterday" is not a time`}}}, 4},
		{"quantity", rows().set(2, "Lineitem quantity", "one").csv(t),
			[]want{{5, []string{"order #1002", "Lineitem quantity", `"one" is not a quantity`}}}, 4},
		{"currency", rows().set(4, "Currency", "usd").csv(t),
			[]want{{7, []string{"order #1003", "Currency", "three capital letters"}}}, 4},
		{"empty total", rows().set(4, "Total", "").csv(t),
			[]want{{7, []string{"order #1003", "Total", "is empty"}}}, 4},
		{"id rounded by a spreadsheet", rows().set(0, "Id", "5.61235E+12").csv(t),
			[]want{{2, []string{"Id", "scientific notation"}}}, 4},
		{"email", rows().set(0, "Email", "alex at example").csv(t),
			[]want{{2, []string{"Email", "not an email address"}}}, 4},
		{"accepts marketing", rows().set(0, "Accepts Marketing", "maybe").csv(t),
			[]want{{2, []string{"Accepts Marketing", "neither yes nor no"}}}, 4},
		{"empty name", rows().set(8, "Name", "").csv(t),
			[]want{{11, []string{"Name: is empty"}}}, 5},
		{"a continuation row without its first row", func() string {
			r := rows()
			r.rows = append(r.rows[:1], r.rows[2:]...) // #1002's first row gone
			return r.csv(t)
		}(), []want{{3, []string{"order #1002", "first row is missing", "next to each other"}}}, 4},
		{"the same order twice", func() string {
			r := rows()
			r.rows = append(r.rows[:1], r.rows...)
			return r.csv(t)
		}(), []want{{3, []string{"order #1001", "a second first row", "line 2 is the first"}}}, 4},
		{"a row with a field too few", func() string {
			text := corpus(t, "orders_export.csv")
			lines := strings.Split(text, "\n")
			lines[6] = strings.Replace(lines[6], ",Low,", ",", 1)
			return strings.Join(lines, "\n")
		}(), []want{{7, []string{"order #1003", "row has 78 fields but the header has 79", "comma or a quote"}}}, 4},
		{"a bare quote", func() string {
			text := corpus(t, "orders_export.csv")
			return strings.Replace(text, "Wool Throw Blanket - Grey", `Wool "Throw" Blanket`, 1)
		}(), []want{{7, []string{"order #1003", "CSV is broken at line 7", `bare "`}}}, 4},
		{"a quote never closed", func() string {
			text := corpus(t, "orders_export.csv")
			return strings.Replace(text, `#1004,alex.example@example.com,partially_refunded,2024-03-12 08:47:20 -0400`, `#1004,alex.example@example.com,partially_refunded,"2024-03-12 08:47:20 -0400`, 1)
		}(), []want{{8, []string{"order #1004", "not closed where it should be"}}}, 4},
		{"the header again", func() string {
			text := corpus(t, "orders_export.csv")
			header, _, _ := strings.Cut(text, "\n")
			return text + header + "\n"
		}(), []want{{12, []string{"header row again", "two exports were joined"}}}, 5},
		{"two bad orders", rows().set(0, "Total", "x").set(7, "Paid at", "soon").csv(t),
			[]want{{2, []string{"order #1001", "Total"}}, {10, []string{"order #1005", "Paid at"}}}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			orders, ps := readOrders(t, "orders_export.csv", c.text)
			if len(orders) != c.orders {
				t.Errorf("%d good orders, want %d", len(orders), c.orders)
			}
			if len(ps) != len(c.want) {
				t.Fatalf("problems:\n%v\nwant %d", Problems(ps), len(c.want))
			}
			for i, w := range c.want {
				if ps[i].File != "orders_export.csv" || ps[i].Line != w.line {
					t.Errorf("problem at %s:%d, want line %d: %v", ps[i].File, ps[i].Line, w.line, ps[i])
				}
				msg := ps[i].Error()
				if !strings.HasPrefix(msg, "orders_export.csv:") {
					t.Errorf("%q does not start with the file and line", msg)
				}
				for _, s := range w.contains {
					if !strings.Contains(msg, s) {
						t.Errorf("%q does not say %q", msg, s)
					}
				}
			}
		})
	}
}

func TestHeaderProblems(t *testing.T) {
	for _, c := range []struct {
		name, text string
		orders     bool
		contains   []string
	}{
		{"empty file", "", true, []string{"empty", "export the orders again"}},
		{"customers given as orders", corpus(t, "customers_export.csv"), true, []string{`no "Name", "Created at", "Total", "Currency" columns`, "customers export", "--customers"}},
		{"orders given as customers", corpus(t, "orders_export.csv"), false, []string{"orders export", "--orders"}},
		{"no total", corpusRecords(t, "orders_export.csv").without("Total").csv(t), true, []string{`no "Total" column`, "Export"}},
		{"something else", "a,b\n1,2\n", false, []string{"not a Shopify customers export"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.orders {
				_, err = NewOrderReader(strings.NewReader(c.text), "f.csv")
			} else {
				_, err = NewCustomerReader(strings.NewReader(c.text), "f.csv")
			}
			var p *Problem
			if !errors.As(err, &p) || p.Line != 1 {
				t.Fatalf("error %v, want a problem on line 1", err)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
}

func TestCustomerProblems(t *testing.T) {
	rows := func() *records { return corpusRecords(t, "customers_export.csv") }
	for _, c := range []struct {
		name     string
		text     string
		line     int
		contains []string
	}{
		{"id rounded by a spreadsheet", rows().set(0, "Customer ID", "7.41235E+12").csv(t), 2, []string{"Customer ID", "scientific notation"}},
		{"consent", rows().set(4, "Accepts SMS Marketing", "Y").csv(t), 7, []string{"Accepts SMS Marketing", `"Y" is neither yes nor no`}},
		{"email", rows().set(1, "Email", "jamie.sample").csv(t), 3, []string{"Email", "not an email address"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs, ps := readCustomers(t, "customers_export.csv", c.text)
			if len(cs) != 4 || len(ps) != 1 {
				t.Fatalf("%d customers, problems %v", len(cs), ps)
			}
			if ps[0].Line != c.line {
				t.Errorf("line %d, want %d", ps[0].Line, c.line)
			}
			for _, s := range c.contains {
				if !strings.Contains(ps[0].Error(), s) {
					t.Errorf("%q does not say %q", ps[0], s)
				}
			}
		})
	}
}
