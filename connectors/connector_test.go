package connectors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/message"
)

func TestErrorKindsSurviveWrapping(t *testing.T) {
	base := errors.New("no such mailbox")
	perm := fmt.Errorf("dispatch: %w", Permanent(base))
	if !IsPermanent(perm) || !errors.Is(perm, base) {
		t.Errorf("wrapped permanent error lost its kind or cause: %v", perm)
	}
	tr := fmt.Errorf("dispatch: %w", Transient(base, 7*time.Second))
	if IsPermanent(tr) || RetryAfter(tr) != 7*time.Second {
		t.Errorf("transient: permanent %v, retry after %v", IsPermanent(tr), RetryAfter(tr))
	}
	if IsPermanent(base) || RetryAfter(base) != 0 {
		t.Error("an unmarked error must count as transient with no wait")
	}
	if got := Permanent(base).Error(); got != "permanent: no such mailbox" {
		t.Errorf("message = %q", got)
	}
}

func TestRegisterRejectsIncompleteAndDuplicateSpecs(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("no constructor", func() { Register(Spec{Name: "test-incomplete", Shapes: []message.Shape{message.SMS}}) })
	newFn := func(map[string]any, Options) (Connector, error) { return nil, nil }
	Register(Spec{Name: "test-once", Shapes: []message.Shape{message.SMS}, New: newFn})
	mustPanic("duplicate", func() { Register(Spec{Name: "test-once", Shapes: []message.Shape{message.SMS}, New: newFn}) })
	if s, ok := Lookup("test-once"); !ok || !s.Carries(message.SMS) || s.Carries(message.Email) {
		t.Errorf("lookup = %+v, %v", s, ok)
	}
}
