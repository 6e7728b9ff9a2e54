package scenario

import (
	"context"
	"fmt"
	"strings"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/inspect"
)

// whyMissing explains the journeys a test expects of a customer in a flow and did not get: for
// each of the customer's trigger events of the flow that started none, what the entry rule
// decided and the values the trigger's when read, as `afterglow inspect customer --flow` does.
func whyMissing(ctx context.Context, st store.Reader, ws *dsl.Workspace, want []dsl.ExpectJourney, got []*store.Journey) (map[[2]string][]string, error) {
	expected := map[[2]string]int{}
	for _, e := range want {
		if e.Flow != "" {
			expected[[2]string{e.Customer, e.Flow}]++
		}
	}
	for _, j := range got {
		expected[[2]string{j.CustomerID, j.FlowID}]--
	}
	out := map[[2]string][]string{}
	for k, n := range expected {
		if n <= 0 || ws.FlowByID(k[1]) == nil {
			continue
		}
		v, err := inspect.Customer(ctx, st, ws, k[0], inspect.Options{Flow: k[1], Events: 1})
		if err != nil {
			if err == store.ErrNotFound {
				out[k] = []string{"the customer " + k[0] + " has no event and is not among the test's customers"}
				continue
			}
			return nil, err
		}
		out[k] = whyLines(v.Flow)
	}
	return out, nil
}

// whyLines are the decisions that kept the customer out of the flow, one line each, with the
// values the trigger's when read.
func whyLines(f *inspect.FlowDecisions) []string {
	if f.Trigger == "" {
		return []string{f.Note}
	}
	if len(f.Decisions) == 0 {
		return []string{"the customer has no " + f.Trigger + " event: nothing could start " + f.Flow}
	}
	var lines []string
	for _, d := range f.Decisions {
		if d.Entered {
			continue
		}
		line := fmt.Sprintf("%s %s: %s", f.Trigger, d.EventID, d.Reason)
		if d.When != nil && len(d.When.Reads) > 0 {
			var reads []string
			for _, r := range d.When.Reads {
				reads = append(reads, r.Path+" = "+inspect.FormatValue(r.Value))
			}
			line += " (" + strings.Join(reads, ", ") + ")"
		}
		lines = append(lines, line)
	}
	return lines
}
