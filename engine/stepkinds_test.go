package engine

import (
	"testing"

	"github.com/afterglowhq/afterglow/dsl"
)

// A kind of step the interpreter cannot run would be skipped in every journey, silently.
func TestEveryStepKindRuns(t *testing.T) {
	for _, k := range dsl.StepKinds {
		if stepRunners[k] == nil {
			t.Errorf("the engine has no runner for step kind %s: add one to stepRunners", k)
		}
	}
	if len(stepRunners) != len(dsl.StepKinds) {
		t.Errorf("the engine runs %d step kinds, the language declares %d", len(stepRunners), len(dsl.StepKinds))
	}
}
