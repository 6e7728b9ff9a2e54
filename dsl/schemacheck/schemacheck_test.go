package schemacheck

import (
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/yamlnode"
)

const testSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://example.test/s.json",
  "type": "object",
  "additionalProperties": false,
  "required": ["flow", "steps"],
  "properties": {
    "flow": {"type": "string", "pattern": "^[a-z]+$", "description": "The id. Lowercase."},
    "wait": {"type": "string", "pattern": "^[0-9]+[smhdw]$"},
    "status": {"enum": ["active", "paused", "draft"]},
    "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}
  },
  "$defs": {
    "step": {
      "type": "object",
      "required": ["id"],
      "properties": {
        "id": {"type": "string"},
        "send": {"type": "object", "required": ["channel"], "additionalProperties": false,
                 "properties": {"channel": {"type": "string"}, "template": {"type": "string"}}},
        "wait": {"type": "string"}
      },
      "additionalProperties": false,
      "oneOf": [{"required": ["send"]}, {"required": ["wait"]}]
    }
  }
}`

func check(t *testing.T, doc string) []diag.Diagnostic {
	t.Helper()
	c, err := Compile("https://example.test/s.json", map[string][]byte{"https://example.test/s.json": []byte(testSchema)},
		map[string]Format{"^[0-9]+[smhdw]$": {Code: "duration", Noun: "a duration", Explain: func(s string) string { return s + " is not a duration" }}})
	if err != nil {
		t.Fatal(err)
	}
	var l diag.List
	root, ok := yamlnode.Parse("f.yaml", []byte(doc), &l)
	if !ok {
		t.Fatalf("parse: %v", l.Items())
	}
	c.Check("f.yaml", root, &l)
	return l.Items()
}

func TestDiagnosticsLandOnTheRightNode(t *testing.T) {
	cases := []struct {
		name, doc string
		line, col int
		code, msg string
	}{
		{"unknown key with suggestion", "flow: a\nstatsu: active\nsteps: [{id: x, wait: 1d}]\n", 2, 1, "unknown-key", `did you mean "status"`},
		{"unknown nested key", "flow: a\nsteps:\n  - id: x\n    send:\n      chanel: email\n", 5, 7, "unknown-key", `did you mean "channel"`},
		{"missing key at parent key", "flow: a\nsteps:\n  - id: x\n    send:\n      template: t\n", 4, 5, "missing-key", "needs `channel`"},
		{"missing top-level key", "flow: a\n", 1, 1, "missing-key", "needs `steps`"},
		{"wrong type", "flow: [a]\nsteps: [{id: x, wait: 1d}]\n", 1, 7, "wrong-type", "must be text, not a list"},
		{"enum with suggestion", "flow: a\nstatus: pasued\nsteps: [{id: x, wait: 1d}]\n", 2, 9, "invalid-value", `did you mean "paused"`},
		{"pattern with explanation", "flow: a\nwait: 3 days\nsteps: [{id: x, wait: 1d}]\n", 2, 7, "duration", "3 days is not a duration"},
		{"pattern with description", "flow: A\nsteps: [{id: x, wait: 1d}]\n", 1, 7, "invalid-value", "Lowercase"},
		{"no kind", "flow: a\nsteps:\n  - id: x\n", 3, 5, "one-of", "needs exactly one of `send`, `wait`"},
		{"two kinds", "flow: a\nsteps:\n  - id: x\n    wait: 1d\n    send: {channel: email}\n", 3, 5, "one-of", "has `send` and `wait`"},
		{"empty list", "flow: a\nsteps: []\n", 2, 1, "invalid-value", "`steps` needs at least 1 entry; it has 0"},
	}
	for _, c := range cases {
		ds := check(t, c.doc)
		if len(ds) != 1 {
			t.Errorf("%s: want 1 diagnostic, got %v", c.name, ds)
			continue
		}
		d := ds[0]
		if d.Line != c.line || d.Col != c.col || d.Code != c.code || !strings.Contains(d.Message, c.msg) {
			t.Errorf("%s: got %s; want %d:%d %s containing %q", c.name, d, c.line, c.col, c.code, c.msg)
		}
	}
}

func TestValidDocumentHasNoDiagnostics(t *testing.T) {
	if ds := check(t, "flow: a\nsteps:\n  - id: x\n    send: {channel: email, template: t}\n  - {id: y, wait: 3d}\n"); len(ds) != 0 {
		t.Fatalf("got %v", ds)
	}
}

const altSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://example.test/alt.json",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "repeat": {"description": "How often.", "anyOf": [{"enum": ["always", "never"]}, {"type": "string", "pattern": "^[0-9]+[smhdw]$"}]},
    "at": {"anyOf": [{"type": "string", "pattern": "^([0-9]+[smhdw])+$"}, {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*$"}]},
    "holdout": {"type": "string", "examples": ["10%"]},
    "locales": {"type": "object", "propertyNames": {"pattern": "^[a-z]{2}$"}},
    "step": {
      "type": "object",
      "properties": {"id": {"type": "string"}, "if": {"type": "string"}, "then": {"type": "array"}, "else": {"type": "array", "minItems": 1}},
      "dependentRequired": {"then": ["if"], "else": ["if"]}
    }
  }
}`

func checkAlt(t *testing.T, doc string) []diag.Diagnostic {
	t.Helper()
	formats := map[string]Format{
		"^[0-9]+[smhdw]$":                 {Code: "duration", Noun: "a duration (3d)", Explain: func(s string) string { return s + " is not a duration" }},
		"^([0-9]+[smhdw])+$":              {Code: "duration", Noun: "an offset (2d12h)", Explain: func(s string) string { return s + " is not an offset" }},
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*$": {Code: "moment", Noun: "a moment", Explain: func(s string) string { return s + " is not a moment" }},
		"^[a-z]{2}$":                      {Code: "locale", Noun: "a locale", Explain: func(s string) string { return s + " is not a locale" }},
	}
	c, err := Compile("https://example.test/alt.json", map[string][]byte{"https://example.test/alt.json": []byte(altSchema)}, formats)
	if err != nil {
		t.Fatal(err)
	}
	var l diag.List
	root, ok := yamlnode.Parse("f.yaml", []byte(doc), &l)
	if !ok {
		t.Fatalf("parse: %v", l.Items())
	}
	c.Check("f.yaml", root, &l)
	return l.Items()
}

func TestMessagesSayWhatToDo(t *testing.T) {
	cases := []struct {
		name, doc string
		line, col int
		code, msg string
	}{
		// A value that fits none of several forms gets one diagnostic, in the words of the form meant.
		{"word misspelt", "repeat: nevr\n", 1, 9, "invalid-value", `"nevr" is not one of: always, never (did you mean "never"?)`},
		{"duration meant", "repeat: 1mo\n", 1, 9, "duration", "1mo is not a duration"},
		{"neither", "repeat: once\n", 1, 9, "invalid-value", `"once" is not allowed here: use always, never or a duration (3d)`},
		{"offset meant", "at: 2 days\n", 1, 5, "duration", "2 days is not an offset"},
		{"no form meant", "at: tomorrow\n", 1, 5, "invalid-value", `"tomorrow" is not allowed here: use an offset (2d12h) or a moment`},
		{"moment meant by its T", "at: 2025-1-01T10:00\n", 1, 5, "moment", "is not a moment"},
		// A key that needs a partner is reported where it is, saying what to add.
		{"then without if", "step:\n  id: a\n  then: []\n", 3, 3, "missing-key", "`step` has `then` but no `if`, which it goes with: add `if`, or remove `then`"},
		{"min items", "step:\n  if: x\n  then: []\n  else: []\n", 4, 3, "invalid-value", "`step.else` needs at least 1 entry; it has 0"},
		// A key that fails propertyNames is reported at the key, with the key as the value.
		{"bad key", "locales:\n  es: {}\n  es-pe: {text: a}\n", 3, 3, "locale", "es-pe is not a locale"},
		{"wrong type with example", "holdout: 10\n", 1, 10, "wrong-type", "`holdout` must be text, not a number, like \"10%\""},
	}
	for _, c := range cases {
		ds := checkAlt(t, c.doc)
		if len(ds) != 1 {
			t.Errorf("%s: want 1 diagnostic, got %v", c.name, ds)
			continue
		}
		d := ds[0]
		if d.Line != c.line || d.Col != c.col || d.Code != c.code || !strings.Contains(d.Message, c.msg) {
			t.Errorf("%s: got %s; want %d:%d %s containing %q", c.name, d, c.line, c.col, c.code, c.msg)
		}
	}
}
