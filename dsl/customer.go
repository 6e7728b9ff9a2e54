package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/afterglowhq/afterglow/dsl/diag"
	"github.com/afterglowhq/afterglow/dsl/exprs"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// ParseCustomerSchema reads the shop's customer attribute schema (JSON Schema) and returns the
// declared attributes as expression types.
func ParseCustomerSchema(file string, src []byte, l *diag.List) map[string]*exprs.Type {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		line, col := 1, 1
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col = lineCol(src, int(se.Offset))
		}
		l.Errorf(diag.Pos{File: file, Line: line, Col: col}, "json-syntax", "invalid JSON: %v", err)
		return nil
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource("customer.schema.json", bytes.NewReader(src)); err == nil {
		if _, err := c.Compile("customer.schema.json"); err != nil {
			l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "customer-schema", "not a valid JSON Schema: %v", firstLine(err.Error()))
		}
	}
	props, ok := doc["properties"].(map[string]any)
	if !ok {
		l.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "customer-schema", "the customer schema needs `properties`: one entry per attribute the shop keeps")
		return nil
	}
	builtin := exprs.BuiltinCustomerFields()
	for name := range props {
		if _, clash := builtin[name]; clash {
			line, col := keyPosition(src, name)
			l.Warnf(diag.Pos{File: file, Line: line, Col: col}, "customer-schema", "%s is a built-in customer field; its declaration here is ignored", name)
		}
	}
	return exprs.FromJSONSchema(doc)
}

func lineCol(src []byte, off int) (int, int) {
	off = min(max(off, 0), len(src))
	before := src[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// keyPosition finds where a property name is written, for a diagnostic on it.
func keyPosition(src []byte, name string) (int, int) {
	i := bytes.Index(src, []byte(`"`+name+`"`))
	if i < 0 {
		return 1, 1
	}
	return lineCol(src, i+1)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
