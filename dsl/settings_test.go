package dsl

import (
	"strings"
	"testing"

	_ "github.com/afterglowhq/afterglow/connectors/console"
	_ "github.com/afterglowhq/afterglow/connectors/twilio"
	_ "github.com/afterglowhq/afterglow/connectors/webhook"
	_ "github.com/afterglowhq/afterglow/connectors/whatsapp_cloud"
	"github.com/afterglowhq/afterglow/dsl/diag"
	_ "github.com/afterglowhq/afterglow/sources/httpapi"
	_ "github.com/afterglowhq/afterglow/sources/shopify"
)

func TestSettingsDiagnostics(t *testing.T) {
	cases := []struct {
		name      string
		src       string
		line, col int
		code, msg string
	}{
		{"with missing, one diagnostic at the channel", "channels:\n  crm:\n    connector: webhook\n",
			2, 3, "missing-key", "connector webhook needs settings under `with`: it needs `secret` and `url`"},
		{"required key missing, at with", "channels:\n  sms:\n    connector: twilio\n    with:\n      auth_token: ${T}\n      from: \"+15550001111\"\n",
			4, 5, "missing-key", "connector twilio: `with` needs `account_sid`"},
		{"one of, at with", "channels:\n  sms:\n    connector: twilio\n    with:\n      account_sid: ${S}\n      auth_token: ${T}\n",
			4, 5, "one-of", "`with` needs exactly one of `from`, `messaging_service_sid`"},
		{"nested value at the value", "channels:\n  sms:\n    connector: twilio\n    with: {account_sid: a, auth_token: b, from: \"+1555\", timeout: [1]}\n",
			4, 67, "wrong-type", "connector twilio: `timeout` must be text or a whole number"},
		{"${VAR} where a number goes", "delivery:\n  concurrency: ${N}\n",
			2, 16, "wrong-type", "${VAR} is expanded only where text is expected"},
		{"multi-shape connector without shape", "channels:\n  crm: {connector: console}\n",
			2, 3, "channel-shape", "say which with `shape:`"},
		{"unknown source, with a suggestion", "sources:\n  shopfy: {secret: x}\n",
			2, 3, "source-unknown", `unknown event source "shopfy" (did you mean "shopify"?)`},
		{"source setting missing, at the source", "sources:\n  shopify: {previous_secret: x, shop: s.myshopify.com}\n",
			2, 3, "missing-key", "source shopify: its settings needs `secret`"},
		{"source setting wrong, at the value", "sources:\n  shopify: {secret: x, shop: s.myshopify.com, test_orders: maybe}\n",
			2, 60, "invalid-value", "source shopify: `test_orders`: \"maybe\" is not one of: ignore, accept"},
		{"unknown source setting", "sources:\n  http:\n    token: ${T}\n    tokne: x\n",
			4, 5, "unknown-key", "source http:"},
		{"ui without users, at ui", "ui: {}\n", 1, 1, "missing-key", "ui has no users"},
		{"ui with no users", "ui:\n  users: {}\n", 2, 10, "invalid-value", "ui.users is empty"},
		{"ui user with an empty password, at the password", "ui:\n  users: {marketing: \"\"}\n", 2, 22, "invalid-value", "user marketing has an empty password"},
		{"ui unknown key", "ui:\n  users: {m: x}\n  user: {}\n", 3, 3, "unknown-key", "user"},
		{"no workers", "workers:\n  ingest: 0\n", 2, 11, "invalid-value", "`workers.ingest`: must be >= 1"},
		{"workers misspelt", "workers:\n  timer: 2\n", 2, 3, "unknown-key", "timer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l diag.List
			ParseSettings("afterglow.yaml", []byte(c.src), &l)
			ds := l.Items()
			if len(ds) != 1 {
				t.Fatalf("want 1 diagnostic, got %v", ds)
			}
			d := ds[0]
			if d.Line != c.line || d.Col != c.col || d.Code != c.code || !strings.Contains(d.Message, c.msg) {
				t.Errorf("got %s; want %d:%d %s containing %q", d, c.line, c.col, c.code, c.msg)
			}
		})
	}
}

// ${VAR} values are known only when the engine starts: validate checks neither their type nor
// their form, and Expand resolves them.
func TestSettingsEnvReferences(t *testing.T) {
	src := `timezone: ${SHOP_TZ}
channels:
  crm:
    connector: webhook
    with: {url: "${CRM_URL}", secret: "${CRM_SECRET}", timeout: "${CRM_TIMEOUT}"}
  whatsapp:
    connector: whatsapp_cloud
    with:
      phone_number_id: ${WA_ID}
      token: ${WA_TOKEN}
      api_version: ${WA_API_VERSION}
      preview_url: ${WA_PREVIEW}
`
	var l diag.List
	s := ParseSettings("afterglow.yaml", []byte(src), &l)
	if l.Len() != 0 {
		t.Fatalf("got %v", l.Items())
	}
	if s.Channels["crm"].Shape != "webhook" {
		t.Errorf("crm carries %q; a webhook connector's channel carries webhook content unless told", s.Channels["crm"].Shape)
	}
	env := map[string]string{"SHOP_TZ": "Europe/Rome", "CRM_URL": "https://crm.example", "CRM_SECRET": "s", "CRM_TIMEOUT": "5s",
		"WA_ID": "1", "WA_TOKEN": "t", "WA_API_VERSION": "v21.0", "WA_PREVIEW": "true"}
	out, err := s.Expand(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if out.Location == nil || out.Location.String() != "Europe/Rome" || out.TimezoneName != "Europe/Rome" {
		t.Errorf("timezone %q %v", out.TimezoneName, out.Location)
	}
	env["SHOP_TZ"] = "Europe/Rom"
	if _, err := s.Expand(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err == nil || !strings.Contains(err.Error(), `did you mean "Europe/Rome"`) {
		t.Errorf("a bad zone from the environment: %v", err)
	}
}

// A source's ${VAR}s are resolved like a connector's, and read by name.
func TestSourceSettingsExpand(t *testing.T) {
	var l diag.List
	s := ParseSettings("afterglow.yaml", []byte("sources:\n  shopify: {secret: \"${SHOP_SECRET}\", previous_secret: \"${OLD:-}\", shop: t.myshopify.com}\n"), &l)
	if l.Len() != 0 {
		t.Fatalf("got %v", l.Items())
	}
	if got := s.SourceNames(); len(got) != 1 || got[0] != "shopify" {
		t.Fatalf("sources %v; want shopify", got)
	}
	out, err := s.Expand(func(k string) (string, bool) { return map[string]string{"SHOP_SECRET": "s3"}[k], k == "SHOP_SECRET" })
	if err != nil {
		t.Fatal(err)
	}
	if out.SourceSetting("shopify", "secret") != "s3" || out.SourceSetting("shopify", "previous_secret") != "" ||
		out.SourceSetting("shopify", "shop") != "t.myshopify.com" || s.SourceSetting("shopify", "secret") != "${SHOP_SECRET}" {
		t.Errorf("expanded %v from %v", out.Sources["shopify"].With, s.Sources["shopify"].With)
	}
	if _, err := s.Expand(func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "SHOP_SECRET") {
		t.Errorf("an unset ${SHOP_SECRET} in a source: %v; want an error naming it", err)
	}
}

// The dashboard's passwords come from the environment, as every secret does.
func TestUISettingsExpand(t *testing.T) {
	var l diag.List
	s := ParseSettings("afterglow.yaml", []byte("ui:\n  users: {marketing: \"${UI_PW}\", ops: plain}\n"), &l)
	if l.Len() != 0 {
		t.Fatalf("got %v", l.Items())
	}
	out, err := s.Expand(func(k string) (string, bool) { return map[string]string{"UI_PW": "pw"}[k], k == "UI_PW" })
	if err != nil {
		t.Fatal(err)
	}
	if out.UI.Users["marketing"] != "pw" || out.UI.Users["ops"] != "plain" || s.UI.Users["marketing"] != "${UI_PW}" {
		t.Errorf("expanded %v from %v", out.UI.Users, s.UI.Users)
	}
	if _, err := s.Expand(func(string) (string, bool) { return "", false }); err == nil || !strings.Contains(err.Error(), "UI_PW") {
		t.Errorf("an unset ${UI_PW}: %v; want an error naming it", err)
	}
	if none := ParseSettings("afterglow.yaml", []byte("listen: :8080\n"), &l); none.UI != nil {
		t.Errorf("no ui: got %v; want the dashboard off", none.UI)
	}
}
