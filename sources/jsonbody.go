package sources

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrJSONTruncated means the JSON ended in the middle of a value.
var ErrJSONTruncated = errors.New("the JSON body ends in the middle of a value (truncated?)")

// CheckJSON tells well-formed JSON from the rest before any decoding into types, so that a body cut
// short, garbage, and a well-formed body of the wrong shape each get their own message.
func CheckJSON(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("the body is empty: send a JSON document")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if err := d.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: %d bytes received; resend the whole body", ErrJSONTruncated, len(b))
		case errors.As(err, &se):
			return fmt.Errorf("the body is not valid JSON: %v at byte %d", se, se.Offset)
		}
		return fmt.Errorf("the body is not valid JSON: %v", err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("the body holds more than one JSON document: data follows byte %d", d.InputOffset())
	}
	return nil
}

// DecodeJSON decodes a body already checked by CheckJSON, keeping numbers held in interface
// values exact.
func DecodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
