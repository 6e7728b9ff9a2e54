package event

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// LineError is a problem with one line of an NDJSON stream.
type LineError struct {
	Line    int
	Problem string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Problem) }

// ReadNDJSON reads one event per line, checking each, and calls fn with it. Blank lines and lines
// starting with # are skipped. It stops at the first bad line with a LineError, so a backfill
// never silently drops part of a file.
func ReadNDJSON(r io.Reader, fn func(line int, e Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		e, err := Decode(b)
		if err != nil {
			return &LineError{n, err.Error()}
		}
		if ps := e.Validate(); len(ps) > 0 {
			var msgs []string
			for _, p := range ps {
				msgs = append(msgs, p.Error())
			}
			return &LineError{n, "invalid event " + e.ID + ": " + strings.Join(msgs, "; ")}
		}
		if err := fn(n, e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &LineError{n + 1, err.Error()}
	}
	return nil
}
