package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

var all = []string{Catalog, Config, Flow, Template, Test}

func TestNamesAndIDs(t *testing.T) {
	if got := Names(); !slices.Equal(got, all) {
		t.Fatalf("Names() = %v, want %v", got, all)
	}
	if Bytes("nope.json") != nil {
		t.Error("Bytes of an unknown name is not nil")
	}
	b := Bytes(Flow)
	b[0] = 'x'
	if Bytes(Flow)[0] == 'x' {
		t.Error("Bytes returns the embedded slice itself, not a copy")
	}
	for _, name := range all {
		doc := decodeSchema(t, name)
		if doc["$id"] != ID(name) || !strings.HasPrefix(ID(name), "https://afterglow.dev/schemas/") {
			t.Errorf("%s: $id %v, want %s", name, doc["$id"], ID(name))
		}
		if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %v is not draft 2020-12", name, doc["$schema"])
		}
		for _, k := range []string{"title", "description"} {
			if s, _ := doc[k].(string); s == "" {
				t.Errorf("%s: no top-level %s", name, k)
			}
		}
	}
}

// TestCompile compiles each schema the way the brief for embedding describes: one compiler, draft
// 2020-12, the embedded bytes added as a resource under the schema's $id.
func TestCompile(t *testing.T) {
	for _, name := range all {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource(ID(name), strings.NewReader(string(Bytes(name)))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := c.Compile(ID(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := Compile(name); err != nil {
			t.Errorf("Compile(%s): %v", name, err)
		}
	}
	if _, err := Compile("nope.json"); err == nil {
		t.Error("Compile of an unknown name succeeded")
	}
}

func decodeSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(Bytes(name), &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

// TestDescriptions checks that every property (and every value schema of a mapping) says what it
// is, and that every property with a pattern shows examples, since hovering in an editor is how
// a marketer learns the form. The tests of if clauses are exempt: they define nothing.
func TestDescriptions(t *testing.T) {
	for _, name := range all {
		doc := decodeSchema(t, name)
		defs, _ := doc["$defs"].(map[string]any)
		target := func(s map[string]any) map[string]any {
			if r, ok := s["$ref"].(string); ok {
				if d, ok := defs[strings.TrimPrefix(r, "#/$defs/")].(map[string]any); ok {
					return d
				}
				t.Errorf("%s: unresolved $ref %s", name, r)
			}
			return nil
		}
		has := func(s map[string]any, key string) bool {
			if _, ok := s[key]; ok {
				return true
			}
			if d := target(s); d != nil {
				_, ok := d[key]
				return ok
			}
			return false
		}
		needsExamples := func(s map[string]any) bool {
			return has(s, "pattern") || has(s, "anyOf")
		}
		for k, d := range defs {
			if s, _ := d.(map[string]any)["description"].(string); s == "" {
				t.Errorf("%s: $defs/%s has no description", name, k)
			}
		}
		checked := 0
		var walk func(v any, path string)
		walk = func(v any, path string) {
			switch v := v.(type) {
			case map[string]any:
				if props, ok := v["properties"].(map[string]any); ok {
					for k, p := range props {
						p := p.(map[string]any)
						checked++
						if !has(p, "description") {
							t.Errorf("%s: %s/properties/%s has no description", name, path, k)
						}
						if needsExamples(p) && !has(p, "examples") {
							t.Errorf("%s: %s/properties/%s has a pattern but no examples", name, path, k)
						}
					}
				}
				if ap, ok := v["additionalProperties"].(map[string]any); ok && !has(ap, "description") {
					t.Errorf("%s: %s/additionalProperties has no description", name, path)
				}
				for k, sub := range v {
					switch k {
					case "if", "examples", "default", "const", "enum":
						continue
					}
					walk(sub, path+"/"+k)
				}
			case []any:
				for i, sub := range v {
					walk(sub, fmt.Sprintf("%s/%d", path, i))
				}
			}
		}
		walk(doc, "#")
		if checked < 8 {
			t.Errorf("%s: only %d properties found; is the walk broken?", name, checked)
		}
	}
}

// TestSharedDefinitions keeps the repeated definitions identical: a name in $defs means the same
// thing in every schema (policies in flows and settings, content in flows and templates...).
func TestSharedDefinitions(t *testing.T) {
	seen := map[string]string{} // def name -> first schema holding it
	defs := map[string]map[string]any{}
	shared := 0
	for _, name := range all {
		d, _ := decodeSchema(t, name)["$defs"].(map[string]any)
		defs[name] = d
		for k, v := range d {
			first, ok := seen[k]
			if !ok {
				seen[k] = name
				continue
			}
			shared++
			if !reflect.DeepEqual(v, defs[first][k]) {
				t.Errorf("$defs/%s differs between %s and %s", k, first, name)
			}
		}
	}
	for _, k := range []string{"policies", "frequencyRule", "quietHours", "duration", "emailContent", "locale"} {
		if seen[k] == "" {
			t.Errorf("$defs/%s is missing", k)
		}
	}
	if _, ok := defs[Config]["policies"]; !ok {
		t.Error("config.schema.json does not define policies")
	}
	if shared == 0 {
		t.Error("no definition is shared")
	}
}

// TestExamples checks that every example and default a schema shows is itself valid where it is shown.
func TestExamples(t *testing.T) {
	for _, name := range all {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		if err := c.AddResource(ID(name), strings.NewReader(string(Bytes(name)))); err != nil {
			t.Fatal(err)
		}
		n := 0
		var walk func(v any, ptr string)
		walk = func(v any, ptr string) {
			switch v := v.(type) {
			case map[string]any:
				ex, _ := v["examples"].([]any)
				if d, ok := v["default"]; ok {
					ex = append(ex, d)
				}
				if len(ex) > 0 {
					s, err := c.Compile(ID(name) + "#" + ptr)
					if err != nil {
						t.Fatalf("%s#%s: %v", name, ptr, err)
					}
					for _, e := range ex {
						n++
						if err := s.Validate(e); err != nil {
							t.Errorf("%s#%s: example or default %v is invalid: %v", name, ptr, e, err)
						}
					}
				}
				for k, x := range v {
					switch k {
					case "examples", "default", "const", "enum":
						continue
					}
					walk(x, ptr+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
				}
			case []any:
				for i, x := range v {
					walk(x, fmt.Sprintf("%s/%d", ptr, i))
				}
			}
		}
		walk(decodeSchema(t, name), "")
		if n == 0 {
			t.Errorf("%s shows no examples", name)
		}
	}
}

// TestPatterns keeps the exported pattern constants equal to what the schemas use.
func TestPatterns(t *testing.T) {
	used := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if p, ok := x.(string); ok && k == "pattern" {
					used[p] = true
				} else if k != "examples" {
					walk(x)
				}
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, name := range all {
		walk(decodeSchema(t, name))
	}
	known := map[string]bool{}
	for _, p := range Patterns {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		known[p] = true
		if !used[p] {
			t.Errorf("pattern %s is not used by any schema", p)
		}
	}
	for p := range used {
		if !known[p] {
			t.Errorf("pattern %s is used by a schema but missing from Patterns", p)
		}
	}
}

// jsonValue turns what yaml.v3 decodes into what the validator reads: string map keys, and
// timestamps (unquoted RFC 3339 times) back into text.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonValue(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = jsonValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonValue(x)
		}
		return out
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

func validate(t *testing.T, schema, doc string) error {
	t.Helper()
	s, err := Compile(schema)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("the test's YAML does not parse: %v", err)
	}
	return s.Validate(jsonValue(v))
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func TestGoodDocuments(t *testing.T) {
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			if err := validate(t, c.schema, c.doc); err != nil {
				t.Errorf("%s rejects it:\n%#v", c.schema, err)
			}
		})
	}
}

func TestBadDocuments(t *testing.T) {
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := validate(t, c.schema, c.doc)
			if err == nil {
				t.Fatalf("%s accepts it; want an error at %q", c.schema, c.at)
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("not a validation error: %v", err)
			}
			var at []string
			exact, under := false, true
			for _, l := range leaves(ve) {
				at = append(at, l.InstanceLocation+": "+l.Message)
				exact = exact || l.InstanceLocation == c.at
				under = under && (l.InstanceLocation == c.at || strings.HasPrefix(l.InstanceLocation, c.at+"/"))
			}
			if !exact || !under {
				sort.Strings(at)
				t.Errorf("want every error at or under %q, got:\n  %s", c.at, strings.Join(at, "\n  "))
			}
		})
	}
}

type doc struct {
	name, schema, doc string
}

type badDoc struct {
	name, schema, at, doc string
}

// flowWith wraps steps (YAML lines indented for a list under `steps:`) in a minimal valid flow.
func flowWith(steps string) string {
	return "flow: f\ntrigger: {event: order.placed}\nsteps:\n" + steps
}

func triggerFlow(trigger string) string {
	return "flow: f\ntrigger: " + trigger + "\nsteps:\n  - {id: s, wait: 1d}\n"
}

const thankYouNPS = `# yaml-language-server: $schema=../schemas/flow.schema.json
flow: thank-you-nps                 # id: lowercase kebab-case, unique in the workspace
name: Thank you and NPS
description: Thank right after the order; three quick questions once it has arrived.
status: active                      # active | paused (no new entries) | draft (validated, never run)
tags: [post-purchase]

trigger:                            # exactly one of: event | schedule | date
  event: order.placed
  when: event.data.total > 0        # optional expression (bool)

entry:
  key: event.data.order_id          # optional: one journey per customer AND key (per-order journeys)
  repeat: always                    # always (default) | never | restart | <duration> (e.g. 30d)

exit:                               # optional: leave the journey at once when any of these holds
  - event: order.refunded
    when: event.data.order_id == trigger.data.order_id
  - when: customer.consent.email == false

goal:                               # optional: conversion tracked for reporting
  event: review.submitted
  within: 14d
  exit: true                        # default true: reaching the goal ends the journey

holdout: 10%                        # optional control group: enters, is tracked, receives no message

steps:
  - id: thanks
    send:
      channel: email
      template: thank-you
      category: transactional       # transactional | marketing (default)
  - id: delivered
    wait_for:
      event: order.delivered
      when: event.data.order_id == trigger.data.order_id
      timeout: 10d
      on_timeout: continue          # continue (default) | exit
  - id: settle
    wait: 3d
  - id: nps
    send:
      channel: email
      template: nps-survey
      data:                         # extra template variables, each an expression
        survey_url: '"https://shop.example/nps?order=" + trigger.data.order_id'
`

const everyStep = `flow: loyalty-tiers
name: Loyalty points and tiers
status: draft
tags: [loyalty, retention]
trigger: {event: order.placed, when: true}
entry: {key: event.data.order_id, repeat: 30d}
exit:
  - event: order.cancelled
goal: {event: order.placed, when: 'event.data.total >= 100', within: 60d, exit: false}
holdout: 2.5%
policies:
  frequency: []
  quiet_hours: {from: "22:00", to: "08:30"}
  over_limit: skip
steps:
  - id: points
    description: One point per unit of currency spent.
    update:
      add: {loyalty_points: trigger.data.total}
  - id: tier
    if: customer.loyalty_points >= 1000
    then:
      - id: gold
        update: {set: {tier: '"gold"'}}
      - id: announce
        emit: {event: loyalty.tier_changed, data: {tier: '"gold"', points: customer.loyalty_points}}
      - id: tell
        send:
          channel: email
          content:
            default_locale: es
            locales:
              es: {subject: "¡Eres Gold, {{ customer.first_name }}!", text: "Gracias.", html: "<p>Gracias.</p>"}
              pt-BR: {subject: "Você é Gold!", text: "Obrigado."}
    else:
      - id: close-to-gold
        if: 1000 - customer.loyalty_points < 200
        then:
          - id: nudge
            send:
              channel: sms
              content: {default_locale: es-419, locales: {es-419: {text: "Te faltan pocos puntos para Gold."}}}
  - id: morning
    wait_until: {time: trigger.time, offset: -1d, at: "10:00", days: [mon, tue, wed, thu, fri]}
  - id: delivered
    wait_for: {event: order.delivered, timeout: 10d, on_timeout: exit}
  - id: channel-test
    split:
      variants:
        - name: whatsapp
          weight: 1
          steps:
            - id: wa
              send:
                channel: whatsapp
                content:
                  default_locale: es
                  locales:
                    es: {template_name: loyalty_update, params: ["{{ customer.first_name }}", "{{ customer.loyalty_points }}"], language: es}
                    en: {text: "You have {{ customer.loyalty_points }} points."}
            - id: push
              send:
                channel: push
                category: marketing
                content:
                  default_locale: es
                  locales: {es: {title: Puntos, body: "Tienes {{ customer.loyalty_points }} puntos", url: "https://shop.example/points"}}
        - name: crm
          weight: 3
          steps:
            - id: crm
              send:
                channel: crm
                content:
                  default_locale: en
                  locales: {en: {body: {customer: "{{ customer.id }}", points: "{{ customer.loyalty_points }}"}}}
            - id: hook
              send:
                channel: webhook
                content: {default_locale: en, locales: {en: {body: {event: tier}}}}
        - name: control
  - id: tiny
    wait: 0s
  - id: done
    exit: {}
  - id: done-again
    exit: {reason: already reviewed}
`

var good = []doc{
	{"thank-you-nps", Flow, thankYouNPS},
	{"event trigger", Flow, triggerFlow(`{event: order.delivered, when: 'event.data.total >= 20'}`)},
	{"schedule at trigger", Flow, triggerFlow(`{schedule: {at: "2025-11-23T10:00:00-05:00"}, audience: 'customer.orders_count >= 1'}`)},
	{"schedule cron trigger", Flow, triggerFlow(`{schedule: {cron: "0 10 1 * *", timezone: Europe/Rome}, audience: 'customer.consent.email == true'}`)},
	{"date trigger", Flow, triggerFlow(`{date: customer.birthday, offset: -3d, at: "10:00", when: 'customer.orders_count > 0'}`)},
	{"schedule at unquoted", Flow, triggerFlow(`{schedule: {at: 2025-11-23T10:00:00-05:00}, audience: true, when: customer.orders_count > 0}`)},
	{"schedule cron macro", Flow, triggerFlow(`{schedule: {cron: "@monthly"}, audience: "true"}`)},
	{"date trigger alone", Flow, triggerFlow(`{date: customer.created_at}`)},
	{"every step kind", Flow, everyStep},
	{"repeat never and restart", Flow, "flow: win-back\ntrigger: {event: order.placed}\nentry: {repeat: restart}\nsteps: [{id: wait-30, wait: 30d}]\n"},
	{"holdout bounds", Flow, "flow: a1\nholdout: 100%\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 2w}]\n"},
	{"holdout zero", Flow, "flow: a1\nholdout: 0.00%\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 2w}]\n"},
	{"policies frequency with channels", Flow, "flow: f\ntrigger: {event: order.placed}\npolicies: {frequency: [{max: 1, per: 7d, channels: [sms], categories: [marketing, transactional]}]}\nsteps: [{id: s, wait: 1d}]\n"},

	{"email template", Template, `# yaml-language-server: $schema=../../schemas/template.schema.json
template: thank-you
description: Sent right after the order.
channel: email
default_locale: es
locales:
  es:
    subject: "Gracias por tu pedido, {{ customer.first_name }}"
    text: |
      Hola {{ customer.first_name }}, gracias por tu pedido {{ trigger.data.order_id }}.
      Darte de baja: {{ unsubscribe_url }}
    html: "<p>Hola {{ customer.first_name }}</p>"
  es-PE:
    subject: "Gracias, {{ customer.first_name }}"
    text: "Gracias."
  it:
    subject: "Grazie"
    text: "Grazie per il tuo ordine."
`},
	{"sms template", Template, "template: shipped\nchannel: sms\ndefault_locale: es-419\nlocales: {es-419: {text: \"Tu pedido va en camino\"}}\n"},
	{"push template", Template, "template: points\nchannel: push\ndefault_locale: en\nlocales: {en: {title: Points, body: \"You have points\"}}\n"},
	{"whatsapp text", Template, "template: hi\nchannel: whatsapp\ndefault_locale: es\nlocales: {es: {text: Hola}}\n"},
	{"whatsapp approved template", Template, "template: order-update\nchannel: whatsapp\ndefault_locale: pt-BR\nlocales: {pt-BR: {template_name: order_update, params: [\"{{ customer.first_name }}\"], language: pt_BR}, es: {template_name: order_update_es}}\n"},
	{"webhook template", Template, "template: crm-sync\nchannel: webhook\ndefault_locale: en\nlocales: {en: {body: {customer: \"{{ customer.id }}\", tags: [a, b], nested: {n: 1}}}}\n"},

	// The settings of docs/running.md, with the ${VAR} values inside flow mappings quoted: unquoted, `{` ends a plain
	// scalar there and the YAML does not parse.
	{"afterglow.yaml", Config, `flows: [flows]                       # folders of flows (relative to this file)
templates: [templates]
customer_schema: schemas/customer.schema.json
timezone: America/Lima               # for customers without their own
database: ${DATABASE_URL}            # ${VAR} is read from the environment; secrets never live in files
listen: 127.0.0.1:8080
channels:                            # a channel name a flow uses -> the connector that carries it
  email:    {connector: smtp,   with: {host: smtp.example.com, port: 587, username: shop, password: "${SMTP_PASSWORD}", from: "Tienda <hola@tienda.example>"}}
  sms:      {connector: twilio, with: {account_sid: "${TWILIO_SID}", auth_token: "${TWILIO_TOKEN}", from: "+15550001111"}}
  whatsapp: {connector: whatsapp_cloud, with: {phone_number_id: "1234", token: "${WA_TOKEN}"}}
  push:     {connector: fcm, with: {project_id: shop-app, credentials_file: "${FCM_CREDENTIALS}"}}
  crm:      {connector: webhook, with: {url: "https://crm.example/hooks/afterglow", secret: "${CRM_SECRET}"}}
policies:
  frequency:                         # across all flows, per customer
    - {max: 2, per: 30d, categories: [marketing]}
  quiet_hours: {from: "21:00", to: "09:00", channels: [sms, whatsapp, push]}
  over_limit: defer                  # defer (default: send when allowed) | skip
  late_events: 24h                   # an event older than this when it arrives starts no journey
sources:
  http:        {token: "${INGEST_TOKEN}"}                 # bearer token for POST /v1/events
  shopify:     {secret: "${SHOPIFY_SECRET}", previous_secret: "${SHOPIFY_PREVIOUS_SECRET}", shop: tienda.myshopify.com}
  woocommerce: {secret: "${WOO_SECRET}"}
`},
	{"empty settings", Config, "{}\n"},
	{"settings with the rest", Config, `flows: [flows, ../../flows]
templates: [templates, ../../flows]
timezone: UTC
listen: ${LISTEN_ADDR}
public_url: https://afterglow.shop.example
secret: ${AFTERGLOW_SECRET}
channels:
  notify: {connector: console, shape: push, rate_limit: 0.5}
  email: {connector: smtp, rate_limit: 20, with: {}}
delivery: {concurrency: 16, max_attempts: 8, lease: 1m}
workers: {ingest: 8, timers: 4}
`},
	{"listen forms", Config, "listen: \":8080\"\npublic_url: ${PUBLIC_URL}\ntimezone: ${TZ}\n"},

	{"test", Test, `name: Laura gets thanks now and the NPS survey three days after delivery
workspace: ..                         # optional: the folder with afterglow.yaml (default: nearest above)
flows: [thank-you-nps]                # optional: default all flows of the workspace
start: 2025-10-14T15:00:00-05:00      # the virtual clock's start
customers:
  laura: {email: laura@example.com, first_name: Laura, locale: es, timezone: America/Lima, consent: {email: true}}
events:
  - {at: 0s, type: order.placed, customer: laura, data: {order_id: "1001", total: 59.90, currency: PEN}}
  - {at: 2d, type: order.delivered, customer: laura, data: {order_id: "1001"}}
until: 30d                            # run the clock this far
expect:
  messages:                           # exactly these, by send time; ` + "`only: false`" + ` allows others
    - {at: 0s, customer: laura, flow: thank-you-nps, step: thanks, channel: email, contains: "Gracias, Laura"}
    - {at: 5d, customer: laura, step: nps}
  journeys:
    - {customer: laura, flow: thank-you-nps, status: completed}
`},
	{"test with everything", Test, `name: Policies and holdout
start: "2025-10-14T15:00:00Z"
customers:
  marco: {email: marco@example.com, phone: "+393331234567", locale: it, timezone: Europe/Rome, created_at: 2024-01-02T03:04:05Z,
          consent: {email: true, sms: null, whatsapp: false}, tags: [vip], orders_count: 3, total_spent: 250.5, birthday: "1990-05-01", loyalty_points: 10}
  guest@example.com: {}
events:
  - {at: 2d12h, type: order.placed, customer: marco, id: evt-1, data: {order_id: "2"}}
  - {at: 2d12h, type: order.placed, customer: marco, id: evt-1}
  - {at: 2025-10-20T09:00:00+02:00, type: customer.updated, customer: guest@example.com, data: {first_name: Ana}}
until: 1w3d
expect:
  only: false
  messages:
    - {at: 2025-10-17T09:00:00+02:00, channel: sms}
  skipped:
    - {customer: marco, flow: win-back, step: nudge, channel: sms, reason: consent}
    - {reason: holdout}
  journeys:
    - {customer: marco, flow: win-back, status: active, holdout: true, step: wait-30}
    - {customer: marco, status: exited}
`},
}

var bad = []badDoc{
	// flows: steps
	{"step with two kinds", Flow, "/steps/0", flowWith("  - {id: s, wait: 1d, exit: {}}\n")},
	{"step with no kind", Flow, "/steps/0", flowWith("  - {id: s}\n")},
	{"step without id", Flow, "/steps/0", flowWith("  - {wait: 1d}\n")},
	{"unknown key in a step", Flow, "/steps/0", flowWith("  - {id: s, wiat: 1d}\n")},
	{"unknown key in send", Flow, "/steps/0/send", flowWith("  - {id: s, send: {channel: email, template: t, chanel: sms}}\n")},
	{"bad duration", Flow, "/steps/0/wait", flowWith("  - {id: s, wait: 3 days}\n")},
	{"months", Flow, "/steps/0/wait", flowWith("  - {id: s, wait: 1mo}\n")},
	{"number as duration", Flow, "/steps/0/wait", flowWith("  - {id: s, wait: 3}\n")},
	{"signed wait", Flow, "/steps/0/wait", flowWith("  - {id: s, wait: -3d}\n")},
	{"then without if", Flow, "/steps/0", flowWith("  - {id: s, wait: 1d, then: [{id: t, wait: 1d}]}\n")},
	{"if without then", Flow, "/steps/0", flowWith("  - {id: s, if: true, else: [{id: t, wait: 1d}]}\n")},
	{"empty then", Flow, "/steps/0/then", flowWith("  - {id: s, if: true, then: []}\n")},
	{"if with an object", Flow, "/steps/0/if", flowWith("  - {id: s, if: {a: 1}, then: [{id: t, wait: 1d}]}\n")},
	{"step id not kebab-case", Flow, "/steps/0/id", flowWith("  - {id: Send_Thanks, wait: 1d}\n")},
	{"two kinds in a nested step", Flow, "/steps/0/then/0", flowWith("  - id: s\n    if: true\n    then:\n      - {id: t, wait: 1d, wait_for: {event: order.delivered, timeout: 1d}}\n")},
	{"unknown key in a variant's step", Flow, "/steps/0/split/variants/1/steps/0", flowWith("  - id: s\n    split:\n      variants:\n        - {name: a}\n        - {name: b, steps: [{id: t, wait: 1d, color: red}]}\n")},
	{"send with template and content", Flow, "/steps/0/send", flowWith("  - {id: s, send: {channel: email, template: t, content: {default_locale: es, locales: {es: {text: x}}}}}\n")},
	{"send with neither", Flow, "/steps/0/send", flowWith("  - {id: s, send: {channel: email}}\n")},
	{"category", Flow, "/steps/0/send/category", flowWith("  - {id: s, send: {channel: email, template: t, category: promo}}\n")},
	{"inline email with a push field", Flow, "/steps/0/send/content/locales/es", flowWith("  - {id: s, send: {channel: email, content: {default_locale: es, locales: {es: {subject: a, text: b, title: c}}}}}\n")},
	{"inline sms without text", Flow, "/steps/0/send/content/locales/es", flowWith("  - {id: s, send: {channel: sms, content: {default_locale: es, locales: {es: {subject: a}}}}}\n")},
	{"inline content with an unknown field", Flow, "/steps/0/send/content/locales/es", flowWith("  - {id: s, send: {channel: crm, content: {default_locale: es, locales: {es: {footer: a}}}}}\n")},
	{"inline content without default_locale", Flow, "/steps/0/send/content", flowWith("  - {id: s, send: {channel: crm, content: {locales: {es: {text: a}}}}}\n")},
	{"data name with a dash", Flow, "/steps/0/send/data/survey-url", flowWith("  - {id: s, send: {channel: email, template: t, data: {survey-url: x}}}\n")},
	{"wait_for without timeout", Flow, "/steps/0/wait_for", flowWith("  - {id: s, wait_for: {event: order.delivered}}\n")},
	{"on_timeout", Flow, "/steps/0/wait_for/on_timeout", flowWith("  - {id: s, wait_for: {event: order.delivered, timeout: 1d, on_timeout: retry}}\n")},
	{"weekday", Flow, "/steps/0/wait_until/days/0", flowWith("  - {id: s, wait_until: {time: trigger.time, days: [monday]}}\n")},
	{"time of day", Flow, "/steps/0/wait_until/at", flowWith("  - {id: s, wait_until: {time: trigger.time, at: \"25:00\"}}\n")},
	{"wait_until without time", Flow, "/steps/0/wait_until", flowWith("  - {id: s, wait_until: {at: \"10:00\"}}\n")},
	{"split with one variant", Flow, "/steps/0/split/variants", flowWith("  - {id: s, split: {variants: [{name: a}]}}\n")},
	{"split weight zero", Flow, "/steps/0/split/variants/0/weight", flowWith("  - {id: s, split: {variants: [{name: a, weight: 0}, {name: b}]}}\n")},
	{"split weight fraction", Flow, "/steps/0/split/variants/1/weight", flowWith("  - {id: s, split: {variants: [{name: a}, {name: b, weight: 0.5}]}}\n")},
	{"empty update", Flow, "/steps/0/update", flowWith("  - {id: s, update: {}}\n")},
	{"emit without event", Flow, "/steps/0/emit", flowWith("  - {id: s, emit: {data: {a: 1}}}\n")},
	{"exit with unknown key", Flow, "/steps/0/exit", flowWith("  - {id: s, exit: {why: done}}\n")},
	{"no steps", Flow, "/steps", "flow: f\ntrigger: {event: order.placed}\nsteps: []\n"},

	// flows: the rest
	{"unknown top-level key", Flow, "", "flow: f\ntrigers: {event: order.placed}\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"$schema key", Flow, "", "$schema: ../schemas/flow.schema.json\nflow: f\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"missing trigger", Flow, "", "flow: f\nsteps: [{id: s, wait: 1d}]\n"},
	{"flow id", Flow, "/flow", "flow: Thank_You\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"status", Flow, "/status", "flow: f\nstatus: live\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"repeat: sometimes", Flow, "/entry/repeat", "flow: f\ntrigger: {event: order.placed}\nentry: {repeat: sometimes}\nsteps: [{id: s, wait: 1d}]\n"},
	{"holdout as a number", Flow, "/holdout", "flow: f\nholdout: 10\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"holdout over 100%", Flow, "/holdout", "flow: f\nholdout: 150%\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"holdout three decimals", Flow, "/holdout", "flow: f\nholdout: 2.555%\ntrigger: {event: order.placed}\nsteps: [{id: s, wait: 1d}]\n"},
	{"empty exit rule", Flow, "/exit/0", "flow: f\ntrigger: {event: order.placed}\nexit: [{}]\nsteps: [{id: s, wait: 1d}]\n"},
	{"goal without event", Flow, "/goal", "flow: f\ntrigger: {event: order.placed}\ngoal: {within: 14d}\nsteps: [{id: s, wait: 1d}]\n"},
	{"frequency max zero", Flow, "/policies/frequency/0/max", "flow: f\ntrigger: {event: order.placed}\npolicies: {frequency: [{max: 0, per: 30d}]}\nsteps: [{id: s, wait: 1d}]\n"},
	{"frequency category", Flow, "/policies/frequency/0/categories/0", "flow: f\ntrigger: {event: order.placed}\npolicies: {frequency: [{max: 1, per: 30d, categories: [promo]}]}\nsteps: [{id: s, wait: 1d}]\n"},
	{"quiet hours without to", Flow, "/policies/quiet_hours", "flow: f\ntrigger: {event: order.placed}\npolicies: {quiet_hours: {from: \"21:00\"}}\nsteps: [{id: s, wait: 1d}]\n"},

	// flows: triggers
	{"two triggers", Flow, "/trigger", triggerFlow("{event: order.placed, date: customer.birthday}")},
	{"no trigger form", Flow, "/trigger", triggerFlow("{when: true}")},
	{"schedule without audience", Flow, "/trigger", triggerFlow("{schedule: {cron: \"0 10 * * *\"}}")},
	{"audience on an event trigger", Flow, "/trigger", triggerFlow("{event: order.placed, audience: true}")},
	{"offset on an event trigger", Flow, "/trigger", triggerFlow("{event: order.placed, offset: -3d}")},
	{"schedule with at and cron", Flow, "/trigger/schedule", triggerFlow("{schedule: {at: \"2025-11-23T10:00:00-05:00\", cron: \"0 10 * * *\"}, audience: true}")},
	{"timezone with at", Flow, "/trigger/schedule", triggerFlow("{schedule: {at: \"2025-11-23T10:00:00-05:00\", timezone: Europe/Rome}, audience: true}")},
	{"at without offset", Flow, "/trigger/schedule/at", triggerFlow("{schedule: {at: \"2025-11-23 10:00\"}, audience: true}")},
	{"cron with four fields", Flow, "/trigger/schedule/cron", triggerFlow("{schedule: {cron: \"0 10 * *\"}, audience: true}")},
	{"time zone abbreviation", Flow, "/trigger/schedule/timezone", triggerFlow("{schedule: {cron: \"0 10 * * *\", timezone: CET}, audience: true}")},
	{"date offset", Flow, "/trigger/offset", triggerFlow("{date: customer.birthday, offset: 3 days}")},
	{"event type", Flow, "/trigger/event", triggerFlow("{event: OrderPlaced}")},

	// templates
	{"email field on an sms shape", Template, "/locales/es", "template: t\nchannel: sms\ndefault_locale: es\nlocales: {es: {text: a, subject: b}}\n"},
	{"push field on an email shape", Template, "/locales/es", "template: t\nchannel: email\ndefault_locale: es\nlocales: {es: {subject: a, text: b, title: c}}\n"},
	{"email without subject", Template, "/locales/es", "template: t\nchannel: email\ndefault_locale: es\nlocales: {es: {text: b}}\n"},
	{"push body as an object", Template, "/locales/es/body", "template: t\nchannel: push\ndefault_locale: es\nlocales: {es: {title: a, body: {b: c}}}\n"},
	{"webhook body as text", Template, "/locales/es/body", "template: t\nchannel: webhook\ndefault_locale: es\nlocales: {es: {body: hello}}\n"},
	{"whatsapp text and template", Template, "/locales/es", "template: t\nchannel: whatsapp\ndefault_locale: es\nlocales: {es: {text: a, template_name: b}}\n"},
	{"whatsapp params without template", Template, "/locales/es", "template: t\nchannel: whatsapp\ndefault_locale: es\nlocales: {es: {text: a, params: [x]}}\n"},
	{"locale spelling", Template, "/locales/es_PE", "template: t\nchannel: sms\ndefault_locale: es\nlocales: {es: {text: a}, es_PE: {text: b}}\n"},
	{"unknown shape", Template, "/channel", "template: t\nchannel: telegram\ndefault_locale: es\nlocales: {es: {text: a}}\n"},
	{"template without default_locale", Template, "", "template: t\nchannel: sms\nlocales: {es: {text: a}}\n"},
	{"template without locales", Template, "/locales", "template: t\nchannel: sms\ndefault_locale: es\nlocales: {}\n"},

	// settings
	{"unknown settings key", Config, "", "chanels: {}\n"},
	{"folders as a string", Config, "/flows", "flows: flows\n"},
	{"channel without connector", Config, "/channels/email", "channels: {email: {with: {host: x}}}\n"},
	{"channel name", Config, "/channels/Email", "channels: {Email: {connector: smtp}}\n"},
	{"unknown channel key", Config, "/channels/email", "channels: {email: {connector: smtp, host: x}}\n"},
	{"rate limit zero", Config, "/channels/sms/rate_limit", "channels: {sms: {connector: twilio, rate_limit: 0}}\n"},
	{"channel shape", Config, "/channels/chat/shape", "channels: {chat: {connector: console, shape: telegram}}\n"},
	{"over_limit", Config, "/policies/over_limit", "policies: {over_limit: drop}\n"},
	{"listen without port", Config, "/listen", "listen: localhost\n"},
	{"time zone offset", Config, "/timezone", "timezone: \"-05:00\"\n"},
	{"public_url", Config, "/public_url", "public_url: afterglow.shop.example\n"},
	{"lease", Config, "/delivery/lease", "delivery: {lease: 1 minute}\n"},
	{"concurrency", Config, "/delivery/concurrency", "delivery: {concurrency: 0}\n"},
	{"workers", Config, "/workers/timers", "workers: {timers: 0.5}\n"},
	// Each source's own settings are checked against its own schema (dsl); here only their form.
	{"source settings not a mapping", Config, "/sources/shopify", "sources: {shopify: on}\n"},

	// scenario tests
	{"test without start", Test, "", "name: t\nuntil: 30d\n"},
	{"test without until", Test, "", "name: t\nstart: 2025-10-14T15:00:00-05:00\n"},
	{"until in months", Test, "/until", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 1mo\n"},
	{"event offset with a space", Test, "/events/0/at", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\nevents: [{at: 2 days, type: order.placed, customer: laura}]\n"},
	{"event without customer", Test, "/events/0", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\nevents: [{at: 0s, type: order.placed}]\n"},
	{"consent as text", Test, "/customers/laura/consent/email", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\ncustomers: {laura: {consent: {email: \"yes\"}}}\n"},
	{"unknown consent channel", Test, "/customers/laura/consent", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\ncustomers: {laura: {consent: {fax: true}}}\n"},
	{"skip reason", Test, "/expect/skipped/0/reason", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\nexpect: {skipped: [{reason: spam}]}\n"},
	{"journey status", Test, "/expect/journeys/0/status", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\nexpect: {journeys: [{customer: laura, status: done}]}\n"},
	{"unknown message key", Test, "/expect/messages/0", "name: t\nstart: 2025-10-14T15:00:00-05:00\nuntil: 30d\nexpect: {messages: [{text: hola}]}\n"},
}
