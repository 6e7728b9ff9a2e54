package inspect

import (
	"context"
	"errors"
	"sort"

	"github.com/afterglowhq/afterglow/dsl"
	"github.com/afterglowhq/afterglow/engine"
	"github.com/afterglowhq/afterglow/engine/store"
)

// Flow counts a flow's journeys by version and status, where its active journeys wait (how many
// at each step and when the first of them wakes), and its messages by status and skip reason. ws
// is the workspace the engine runs, for the current version and the order of the steps; nil reads
// the last one the engine saved in the store, and a store without one still answers.
func Flow(ctx context.Context, r store.Reader, ws *dsl.Workspace, flow string) (*FlowView, error) {
	if ws == nil {
		var err error
		if ws, _, err = engine.LastWorkspace(ctx, r); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	var f *dsl.Flow
	if ws != nil {
		f = draftFlow(ws, flow)
	}
	v := &FlowView{Flow: flow, Versions: []VersionView{}, Messages: map[string]int{}, Skipped: map[string]int{}}
	if f != nil {
		v.Current = f.Version
	}
	js, err := r.Journeys(ctx, store.JourneyFilter{FlowID: flow})
	if err != nil {
		return nil, err
	}
	if f == nil && len(js) == 0 {
		return nil, ErrUnknownFlow
	}
	byVersion := map[string]*VersionView{}
	waiting := map[[2]string]*StepWaiting{}
	for _, j := range js {
		vv := byVersion[j.FlowVersion]
		if vv == nil {
			vv = &VersionView{Version: j.FlowVersion, Journeys: map[string]int{}, Waiting: []StepWaiting{}}
			byVersion[j.FlowVersion] = vv
		}
		vv.Journeys[j.Status]++
		if j.Holdout {
			vv.Holdout++
		}
		if j.Status != store.Active {
			continue
		}
		k := [2]string{j.FlowVersion, j.StepID}
		w := waiting[k]
		if w == nil {
			w = &StepWaiting{Step: j.StepID, WaitsFor: j.WaitEvent}
			waiting[k] = w
		}
		w.Count++
		if !j.WakeAt.IsZero() && (w.NextWake == nil || j.WakeAt.Before(*w.NextWake)) {
			w.NextWake = timePtr(j.WakeAt)
		}
	}
	place := stepOrder(f)
	for k, w := range waiting {
		vv := byVersion[k[0]]
		vv.Waiting = append(vv.Waiting, *w)
	}
	for _, vv := range byVersion {
		sort.Slice(vv.Waiting, func(i, k int) bool {
			a, b := vv.Waiting[i].Step, vv.Waiting[k].Step
			pa, oka := place[a]
			pb, okb := place[b]
			if oka != okb {
				return oka
			}
			if pa != pb {
				return pa < pb
			}
			return a < b
		})
		v.Versions = append(v.Versions, *vv)
	}
	// The current version first, then the others by id: the version is a hash, not a date.
	sort.Slice(v.Versions, func(i, k int) bool {
		a, b := v.Versions[i].Version, v.Versions[k].Version
		if (a == v.Current) != (b == v.Current) {
			return a == v.Current
		}
		return a < b
	})
	ms, err := r.Messages(ctx, store.MessageFilter{FlowID: flow})
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		v.Messages[m.Status]++
		if m.Status == store.Skipped {
			v.Skipped[m.Reason]++
		}
	}
	return v, nil
}

// stepOrder numbers a flow's steps in the order they are written, branches included.
func stepOrder(f *dsl.Flow) map[string]int {
	out := map[string]int{}
	if f == nil {
		return out
	}
	var walk func(steps []*dsl.Step)
	walk = func(steps []*dsl.Step) {
		for _, s := range steps {
			out[s.ID] = len(out)
			walk(s.Then)
			walk(s.Else)
			if s.Split != nil {
				for _, v := range s.Split.Variants {
					walk(v.Steps)
				}
			}
		}
	}
	walk(f.Steps)
	return out
}
