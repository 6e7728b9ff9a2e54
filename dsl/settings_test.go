package dsl

import (
	"strings"
	"testing"

	_ "github.com/afterglowhq/afterglow/connectors/console"
	_ "github.com/afterglowhq/afterglow/connectors/twilio"
	_ "github.com/afterglowhq/afterglow/connectors/webhook"
	_ "github.com/afterglowhq/afterglow/connectors/whatsapp_cloud"
	"github.com/afterglowhq/afterglow/dsl/diag"
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
