package smtp

import (
	"bytes"
	"strings"
	"testing"

	"github.com/afterglowhq/afterglow/message"
)

func TestProviderID(t *testing.T) {
	cases := map[string]string{
		"2.0.0 Ok: queued as 4ZxY1k":                "4ZxY1k",
		"OK id=1rBx3k-0004Zj-2C":                    "1rBx3k-0004Zj-2C",
		"Ok 0100018b2f6c7d1e-5c0f-4a1b-9d7e-000000": "Ok 0100018b2f6c7d1e-5c0f-4a1b-9d7e-000000",
		"": "<fallback@tienda.example>",
		"2.0.0 OK  1697040000 d5-20020a05600c - gsmtp": "2.0.0 OK  1697040000 d5-20020a05600c - gsmtp",
	}
	for reply, want := range cases {
		if got := providerID(reply, "<fallback@tienda.example>"); got != want {
			t.Errorf("providerID(%q) = %q, want %q", reply, got, want)
		}
	}
}

func TestHeaderFolding(t *testing.T) {
	var b bytes.Buffer
	header(&b, "Subject", encodeText(strings.Repeat("á", 60)))
	header(&b, "X-Long", strings.Repeat("word ", 30))
	header(&b, "X-Url", "<https://tienda.example/"+strings.Repeat("x", 100)+">")
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	for _, l := range lines {
		if strings.Contains(l, "=?") && len(l) > 76 {
			t.Errorf("encoded-word line of %d characters: %q", len(l), l)
		}
		if !strings.Contains(l, "https://") && len(l) > 78 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
	if lines[0] != "Subject:" || !strings.HasPrefix(lines[1], " =?utf-8?q?") {
		t.Errorf("a first encoded-word too long for the name line should move to the next: %q", lines[:2])
	}
	if !strings.HasPrefix(b.String(), "Subject:") || strings.Count(b.String(), "X-Url: <https://") != 1 {
		t.Errorf("an unbreakable value should stay beside its name:\n%s", b.String())
	}
}

func TestMessageIDIsStableAndUsesTheSenderDomain(t *testing.T) {
	m := message.Message{ID: "m1", IdempotencyKey: "j1/thanks"}
	a, b := messageID(m, "hola@tienda.example"), messageID(m, "hola@tienda.example")
	if a != b || !strings.HasSuffix(a, "@tienda.example>") {
		t.Errorf("message ids %q and %q", a, b)
	}
	m.IdempotencyKey = "j1/nps"
	if messageID(m, "hola@tienda.example") == a {
		t.Error("different keys gave the same Message-ID")
	}
	m.IdempotencyKey = ""
	if c, d := messageID(m, "x@y.example"), messageID(m, "x@y.example"); c != d {
		t.Error("without a key the message id should still be stable")
	}
}
