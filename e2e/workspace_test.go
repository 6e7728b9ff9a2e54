package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Secrets of the test shop. The settings name them as ${VAR}s, as a real workspace does.
const (
	appSecret       = "unsubscribe-signing-secret"
	channelSecret   = "shop-endpoint-secret"
	ingestToken     = "ingest-token-e2e"
	shopifySecret   = "shopify-client-secret"
	shopifyPrevious = "shopify-client-secret-before-rotation"
	wooSecret       = "woocommerce-webhook-secret"
)

// workspace is a shop's folder: afterglow.yaml, flows and templates.
type workspace struct {
	dir    string
	config string
	port   int
	base   string
}

const settingsTemplate = `# The test shop: every channel goes to the local sink through the webhook connector.
flows: [flows]
templates: [templates]
timezone: UTC
database: ${DATABASE_URL}
listen: 127.0.0.1:%[1]d
public_url: http://127.0.0.1:%[1]d
secret: ${AFTERGLOW_SECRET}
delivery: {concurrency: 4, max_attempts: 5, lease: %[3]s}
channels:
  email:
    connector: webhook
    shape: email
    with:
      url: %[2]s/email
      secret: ${SINK_SECRET}
      headers:
        X-Afterglow-Process: ${PROCESS_NAME}
  crm:
    connector: webhook
    with:
      url: %[2]s/crm
      secret: ${SINK_SECRET}
      headers:
        X-Afterglow-Process: ${PROCESS_NAME}
sources:
  http:
    token: ${INGEST_TOKEN}
  shopify:
    secret: ${SHOPIFY_SECRET}
    previous_secret: ${SHOPIFY_PREVIOUS_SECRET}
    shop: jsmith.myshopify.com
  woocommerce:
    secret: ${WOO_SECRET}
`

// The flows: a transactional thank-you per order, a shipping notice and marketing tips when an
// order ships, a welcome to the CRM, and a nudge that waits before it sends (so that a journey is
// in flight while the file changes).
var flowFiles = map[string]string{
	"flows/thanks.yaml": `flow: thanks
name: Thank you
trigger: {event: order.placed}
entry: {key: event.data.order_id}
steps:
  - id: thanks
    send: {channel: email, template: thanks, category: transactional}
`,
	"templates/thanks.yaml": `template: thanks
channel: email
default_locale: en
locales:
  en:
    subject: "Thank you, {{ customer.first_name }}! Order {{ trigger.data.order_id }}"
    text: "Hi {{ customer.first_name }}, we have your order {{ trigger.data.order_id }}."
`,
	"flows/shipped.yaml": `flow: shipped
trigger: {event: order.fulfilled}
entry: {key: event.data.order_id}
steps:
  - id: shipped
    send:
      channel: email
      category: transactional
      content:
        default_locale: en
        locales:
          en:
            subject: "Order {{ trigger.data.order_id }} is on its way"
            text: "{{ customer.first_name }}, order {{ trigger.data.order_id }} has shipped."
`,
	"flows/tips.yaml": `flow: tips
trigger: {event: order.fulfilled}
entry: {key: event.data.order_id}
steps:
  - id: tips
    send:
      channel: email
      category: marketing
      content:
        default_locale: en
        locales:
          en:
            subject: "Tips for order {{ trigger.data.order_id }}"
            text: "{{ customer.first_name }}, how to enjoy order {{ trigger.data.order_id }}. Unsubscribe: {{ unsubscribe_url }}"
`,
	"flows/welcome.yaml": `flow: welcome
trigger: {event: customer.created}
steps:
  - id: hello
    send:
      channel: crm
      category: marketing
      content:
        default_locale: en
        locales:
          en:
            body:
              kind: welcome
              first_name: "{{ customer.first_name }}"
              email: "{{ customer.email }}"
`,
	"flows/nudge.yaml": nudgeFlow("4s", "v1"),
}

// nudgeFlow is the flow whose wait keeps a journey in flight across an edit.
func nudgeFlow(wait, version string) string {
	return fmt.Sprintf(`flow: nudge
trigger: {event: checkout.started}
entry: {key: event.data.checkout_id}
steps:
  - id: later
    wait: %s
  - id: nudge
    send:
      channel: email
      category: transactional
      content:
        default_locale: en
        locales:
          en:
            subject: "Nudge %[2]s"
            text: "Checkout {{ trigger.data.checkout_id }}: nudge %[2]s."
`, wait, version)
}

// newWorkspace writes the shop's workspace with every channel pointing at sinkURL.
func newWorkspace(t *testing.T, sinkURL string) *workspace {
	t.Helper()
	return newWorkspaceLease(t, sinkURL, "10s")
}

// newWorkspaceLease is newWorkspace with another delivery.lease.
func newWorkspaceLease(t *testing.T, sinkURL, lease string) *workspace {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	w := &workspace{dir: dir, config: filepath.Join(dir, "afterglow.yaml"), port: port, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	w.write(t, "afterglow.yaml", fmt.Sprintf(settingsTemplate, port, sinkURL, lease))
	for name, src := range flowFiles {
		w.write(t, name, src)
	}
	return w
}

// env is the environment the settings' ${VAR}s read.
func (w *workspace) env(db *database, process string) map[string]string {
	return map[string]string{
		"DATABASE_URL":            db.url,
		"AFTERGLOW_SECRET":        appSecret,
		"SINK_SECRET":             channelSecret,
		"INGEST_TOKEN":            ingestToken,
		"SHOPIFY_SECRET":          shopifySecret,
		"SHOPIFY_PREVIOUS_SECRET": shopifyPrevious,
		"WOO_SECRET":              wooSecret,
		"PROCESS_NAME":            process,
	}
}

func (w *workspace) write(t *testing.T, name, src string) {
	t.Helper()
	p := filepath.Join(w.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// save replaces a file the way editors and git do: the new content goes to a temporary file
// that is then renamed over the old one, so that no reader ever sees half a file.
func (w *workspace) save(t *testing.T, name, src string) {
	t.Helper()
	p := filepath.Join(w.dir, name)
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".swp")
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

// configMap lays a workspace out as Kubernetes mounts a ConfigMap: the files live in a
// timestamped hidden folder, `..data` links to it, and each file is a link through `..data`.
// An update writes a new folder and swaps `..data` by renaming a new link over it, so that a
// reader sees either the old files or the new ones.
type configMap struct {
	dir string
	gen int
}

func (c *configMap) project(t *testing.T, files map[string]string) {
	t.Helper()
	c.gen++
	ts := fmt.Sprintf("..2026_01_01_00_00_%02d.%d", c.gen, c.gen)
	old, _ := os.Readlink(filepath.Join(c.dir, "..data"))
	for name, src := range files {
		p := filepath.Join(c.dir, ts, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(c.dir, "..data_tmp")
	if err := os.Symlink(ts, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(c.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range files {
		link := filepath.Join(c.dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			t.Fatal(err)
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(c.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}
