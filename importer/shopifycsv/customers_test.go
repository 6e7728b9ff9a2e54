package shopifycsv

import (
	"reflect"
	"strings"
	"testing"
)

func TestCorpusCustomers(t *testing.T) {
	cs, ps := readCustomers(t, "customers_export.csv", corpus(t, "customers_export.csv"))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if len(cs) != 5 {
		t.Fatalf("%d customers, want 5", len(cs))
	}
	casey := cs[3]
	// The Customer ID's apostrophe is gone; the multi-line Note does not split the row.
	if casey.ID != "7412345600104" || casey.Line != 5 || casey.Company != "Testperson Studio LLC" ||
		!reflect.DeepEqual(casey.Tags, []string{"wholesale", "net-30"}) || *casey.AcceptsEmail != true || *casey.AcceptsSMS != true ||
		casey.Phone != "+15555550104" || *casey.TaxExempt != true {
		t.Errorf("Casey = %+v", casey)
	}
	if sam := cs[4]; sam.Line != 7 || sam.ID != "7412345600105" || sam.Phone != "" || sam.AcceptsWhatsApp != nil {
		t.Errorf("Sam (after Casey's two-line note) = %+v", sam)
	}
}

// The customers header versions: 2018 (Accepts Marketing, no Customer ID), 2022 (the email and
// SMS split), 2023 (Customer ID first), 2024-2025 (the corpus), and extra trailing columns.
func TestCustomerHeaders(t *testing.T) {
	rs := corpusRecords(t, "customers_export.csv")
	// Older names of today's columns.
	renamed := func(r *records, from, to string) *records { r.header[r.col(from)] = to; return r }
	v2018 := rs.only("First Name", "Last Name", "Email", "Default Address Company", "Default Address Address1", "Default Address Address2",
		"Default Address City", "Default Address Province Code", "Default Address Country Code", "Default Address Zip", "Phone",
		"Accepts Email Marketing", "Total Spent", "Total Orders", "Tags", "Note", "Tax Exempt")
	for _, p := range [][2]string{{"Default Address Company", "Company"}, {"Default Address Address1", "Address1"}, {"Default Address Address2", "Address2"},
		{"Default Address City", "City"}, {"Default Address Province Code", "Province Code"}, {"Default Address Country Code", "Country Code"},
		{"Default Address Zip", "Zip"}, {"Accepts Email Marketing", "Accepts Marketing"}} {
		renamed(v2018, p[0], p[1])
	}
	v2022 := rs.only("First Name", "Last Name", "Email", "Accepts Email Marketing", "Default Address Company", "Default Address Address1",
		"Default Address Address2", "Default Address City", "Default Address Province Code", "Default Address Country Code",
		"Default Address Zip", "Phone", "Accepts SMS Marketing", "Total Spent", "Total Orders", "Tags", "Note", "Tax Exempt")
	v2023 := rs.only(append([]string{"Customer ID"}, v2022.header...)...)
	extra := rs.only(append(append([]string{}, rs.header...), "Accepts WhatsApp Marketing", "Skin type (customer.metafields.custom.skin_type)")...)
	for i := range extra.rows {
		extra.rows[i][len(rs.header)] = "no"
		extra.rows[i][len(rs.header)+1] = "dry"
	}

	for _, c := range []struct {
		name    string
		file    *records
		ids     bool
		sms     bool
		warning string
	}{
		{"2018", v2018, false, false, `no "Customer ID" column`},
		{"2022", v2022, false, true, `no "Customer ID" column`},
		{"2023", v2023, true, true, ""},
		{"2024", rs, true, true, ""},
		{"extra columns", extra, true, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewCustomerReader(strings.NewReader(c.file.csv(t)), "customers_export.csv")
			if err != nil {
				t.Fatal(err)
			}
			if w := strings.Join(r.Warnings(), "\n"); (c.warning == "") != (w == "") || !strings.Contains(w, c.warning) {
				t.Errorf("warnings %q, want %q", w, c.warning)
			}
			cs, ps := readCustomers(t, "customers_export.csv", c.file.csv(t))
			if len(ps) > 0 || len(cs) != 5 {
				t.Fatalf("%d customers, %v", len(cs), ps)
			}
			alex := cs[0]
			if alex.Email != "alex.example@example.com" || alex.FirstName != "Alex" || alex.AcceptsEmail == nil || !*alex.AcceptsEmail || alex.Country != "US" {
				t.Errorf("Alex = %+v", alex)
			}
			if (alex.ID == "7412345600101") != c.ids {
				t.Errorf("id %q", alex.ID)
			}
			if (alex.AcceptsSMS != nil) != c.sms {
				t.Errorf("SMS consent %v", alex.AcceptsSMS)
			}
			if cs[3].Company != "Testperson Studio LLC" {
				t.Errorf("company %q", cs[3].Company)
			}
			subject := CustomerSubject(alex)
			if c.ids && subject != "7412345600101" || !c.ids && subject != "alex.example@example.com" {
				t.Errorf("subject %q", subject)
			}
		})
	}
	cs, _ := readCustomers(t, "customers_export.csv", extra.csv(t))
	if cs[0].AcceptsWhatsApp == nil || *cs[0].AcceptsWhatsApp {
		t.Errorf("Accepts WhatsApp Marketing not read: %v", cs[0].AcceptsWhatsApp)
	}
}

func TestCustomerKnownByPhoneAloneIsUnidentified(t *testing.T) {
	rs := corpusRecords(t, "customers_export.csv").without("Customer ID").set(4, "Email", "")
	cs, ps := readCustomers(t, "customers_export.csv", rs.csv(t))
	if len(ps) > 0 || len(cs) != 5 {
		t.Fatalf("%d customers, %v", len(cs), ps)
	}
	if cs[4].Known() || !cs[3].Known() {
		t.Errorf("Known: %v %v", cs[4].Known(), cs[3].Known())
	}
}
