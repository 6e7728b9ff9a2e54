package catalog

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

//go:generate sh -c "go run ../../cmd/afterglow events --markdown > ../../docs/events.md"

// WriteMarkdown writes the reference of the catalog's types: docs/events.md is the canonical
// catalog's (`afterglow events --markdown`); a workspace's includes its own types.
func (c *Catalog) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(mdIntro)
	var canon, own []*Type
	for _, n := range c.Types() {
		if t := c.types[n]; t.Canonical {
			canon = append(canon, t)
		} else {
			own = append(own, t)
		}
	}
	b.WriteString("\n## The types at a glance\n\n| type | what happened | required fields |\n|---|---|---|\n")
	for _, t := range append(append([]*Type{}, canon...), own...) {
		var req []string
		for _, f := range t.Fields() {
			if f.Required && !strings.ContainsAny(f.Path, ".[") {
				req = append(req, "`"+f.Path+"`")
			}
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s |\n", t.Name, anchor(t.Name), firstSentence(t.Description()), strings.Join(req, ", "))
	}
	for _, t := range canon {
		writeType(&b, t)
	}
	if len(own) > 0 {
		b.WriteString("\n## The shop's own types\n")
		for _, t := range own {
			writeType(&b, t)
		}
	}
	b.WriteString(mdDeclaring)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeType(b *strings.Builder, t *Type) {
	fmt.Fprintf(b, "\n### %s\n\n%s\n", t.Name, t.Description())
	if by := t.SentBy(); len(by) > 0 {
		b.WriteString("\nSent by: " + strings.Join(by, "; ") + ".\n")
	}
	if t.Extended {
		fmt.Fprintf(b, "\nThe workspace adds fields to it in `%s`.\n", t.File)
	} else if t.File != "" {
		fmt.Fprintf(b, "\nDeclared in `%s`.\n", t.File)
	}
	fields := t.Fields()
	if len(fields) == 0 {
		b.WriteString("\nIts data is whatever the sender puts in it.\n")
		return
	}
	b.WriteString("\n| field | type | required | description | example |\n|---|---|---|---|---|\n")
	for _, f := range fields {
		req := ""
		if f.Required {
			req = "yes"
		}
		desc := f.Description
		if f.Added {
			desc = "(the workspace's) " + desc
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", f.Path, f.Type, req, cell(desc), example(f.Example))
	}
	if exs, ok := t.Docs[0]["examples"].([]any); ok && len(exs) > 0 {
		js, err := json.MarshalIndent(exs[0], "", "  ")
		if err == nil {
			b.WriteString("\nFor example, its data:\n\n```json\n" + string(js) + "\n```\n")
		}
	}
}

func example(v any) string {
	if v == nil {
		return ""
	}
	js, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return "`" + strings.ReplaceAll(string(js), "|", `\|`) + "`"
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`) }

func anchor(name string) string { return strings.ReplaceAll(name, ".", "") }

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

const mdIntro = `<!-- Generated from schemas/events/*.schema.json by ` + "`afterglow events --markdown`" + ` (go generate ./event/catalog); do not edit. -->

# Events

Everything Afterglow knows about a shop's customers arrives as events: from Shopify and WooCommerce
webhooks, which the sources turn into the canonical types below, from the shop's own systems on
` + "`POST /v1/events`" + `, and from files with ` + "`afterglow ingest`" + `. Each is a CloudEvent 1.0 in JSON:

| member | what |
|---|---|
| ` + "`specversion`" + ` | ` + "`\"1.0\"`" + ` |
| ` + "`id`" + ` | unique per event: an event whose id was seen before is a redelivery, dropped |
| ` + "`source`" + ` | who sent it: ` + "`shop`" + `, ` + "`shopify/tienda.myshopify.com`" + ` |
| ` + "`type`" + ` | one of the types below, or one of the shop's own: dot-separated lowercase words |
| ` + "`subject`" + ` | the customer's id |
| ` + "`time`" + ` | when it happened, in RFC 3339 |
| ` + "`data`" + ` | what happened: its fields depend on the type |

The event catalog is a JSON Schema (draft 2020-12) of each type's ` + "`data`" + `, in ` + "`schemas/events/`" + `.
It is used three times:

- **Ingest** refuses an event whose data does not fit its type: ` + "`POST /v1/events`" + ` answers 400
  with every problem (` + "`{\"index\": 1, \"field\": \"data.total\", \"message\": \"must be a decimal amount...\"}`" + `)
  and stores nothing of the batch; ` + "`afterglow ingest`" + ` stops at the line, ` + "`afterglow simulate`" + ` and
  ` + "`afterglow validate`" + ` (for scenario tests) say which line and field.
- **validate** types ` + "`event.data.*`" + `, ` + "`trigger.data.*`" + ` and ` + "`steps.ID.event.data.*`" + ` in conditions and
  templates: ` + "`event.data.totl`" + ` is an unknown field (did you mean total?), and ` + "`event.data.total > \"50\"`" + `
  compares a decimal with text, which never holds.
- This page is generated from it.

Money is a **decimal**: a JSON number (` + "`59.90`" + `) or a decimal string (` + "`\"59.90\"`" + `), kept exact;
expressions compare it with numbers (` + "`trigger.data.total >= 50`" + `) and templates print it as sent.
An **id** is a string; a whole number is accepted and read as its digits, so ` + "`1001`" + ` and
` + "`\"1001\"`" + ` are the same order. A **time** is RFC 3339 with its offset.

Data may carry more fields than a type lists: shops and platforms add their own, and they are kept
and readable as ` + "`trigger.data.NAME`" + `. Only the listed fields are checked; ` + "`validate`" + ` warns about a
field a type does not list (declare it to check it, see the end of this page).
`

const mdDeclaring = `
## Declaring the shop's own types

A workspace declares the types its own systems send in its events folders (` + "`events: [events]`" + ` in
afterglow.yaml): one JSON Schema (draft 2020-12) of the data per type, in a file named after the
type, ` + "`events/quiz.completed.schema.json`" + `:

` + "```json" + `
{
  "description": "Someone finished the skin quiz.",
  "type": "object",
  "required": ["skin_type"],
  "properties": {
    "skin_type": {"type": "string", "enum": ["normal", "dry", "oily"], "description": "What the quiz found."},
    "concerns": {"type": "array", "items": {"type": "string"}, "description": "What to work on."}
  }
}
` + "```" + `

Ingest then refuses a ` + "`quiz.completed`" + ` without ` + "`skin_type`" + `, and ` + "`validate`" + ` knows that
` + "`trigger.data.skin_type`" + ` is one of three texts. ` + "`\"format\": \"decimal\"`" + ` marks money, ` + "`\"format\": \"date-time\"`" + `
a time. With ` + "`\"additionalProperties\": false`" + ` the type accepts no other field.

A file named after a canonical type (` + "`events/order.placed.schema.json`" + `) adds fields to it and
nothing else: only ` + "`properties`" + ` (with ` + "`description`" + `, ` + "`title`" + `, ` + "`$defs`" + `, ` + "`examples`" + `), none of
the type's own fields, nothing required, since the platforms' webhooks would not send it. The data
must then fit both schemas. ` + "`afterglow events WORKSPACE --markdown`" + ` writes this page with the
workspace's own types.
`
