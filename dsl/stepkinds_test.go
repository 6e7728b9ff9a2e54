package dsl

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/afterglowhq/afterglow/schemas"
)

// The flow schema is what editors check a flow with: it must offer exactly the kinds the language
// reads, each described.
func TestStepKindsMatchTheFlowSchema(t *testing.T) {
	var doc struct {
		Defs map[string]struct {
			OneOf []struct {
				Required []string `json:"required"`
			} `json:"oneOf"`
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(schemas.Bytes("flow.schema.json"), &doc); err != nil {
		t.Fatal(err)
	}
	step := doc.Defs["step"]
	var inSchema []string
	for _, alt := range step.OneOf {
		inSchema = append(inSchema, alt.Required...)
	}
	var declared []string
	for _, k := range StepKinds {
		declared = append(declared, string(k))
		if step.Properties[string(k)].Description == "" {
			t.Errorf("flow.schema.json: step kind %s has no described property", k)
		}
	}
	if !slices.Equal(inSchema, declared) {
		t.Errorf("flow.schema.json offers the step kinds %v (one of), the language declares %v", inSchema, declared)
	}
}

// Marketers learn the kinds from docs/flows.md: its table of steps has a row per kind, no more.
func TestStepKindsAreDocumented(t *testing.T) {
	src, err := os.ReadFile("../docs/flows.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+):").FindAllSubmatch(src, -1) {
		documented = append(documented, string(m[1]))
	}
	var declared []string
	for _, k := range StepKinds {
		declared = append(declared, string(k))
	}
	if !slices.Equal(documented, declared) {
		t.Errorf("docs/flows.md's table of steps has rows for %v; the language declares %v, in that order", documented, declared)
	}
}

func TestEveryStepKindIsDeclaredWhole(t *testing.T) {
	for _, k := range StepKinds {
		d := stepKinds[k]
		if d.Summary == "" || d.decode == nil {
			t.Errorf("step kind %s: summary or decoder missing", k)
		}
	}
}
