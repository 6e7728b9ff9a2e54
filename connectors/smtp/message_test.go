package smtp

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

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
	from, _ := mail.ParseAddress("Tienda <hola@tienda.example>")
	m := message.Message{
		IdempotencyKey: "j1/thanks", Shape: message.Email,
		To:             message.Recipient{CustomerID: "c1", Email: "laura@example.com"},
		Content:        message.Content{Subject: strings.Repeat("á", 60) + " " + strings.Repeat("word ", 30), Text: "hola"},
		UnsubscribeURL: "https://tienda.example/" + strings.Repeat("x", 100),
	}
	msg, _, err := compose(m, &config{from: from}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(b.String(), "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if strings.Contains(l, "=?") && len(l) > 76 {
			t.Errorf("encoded-word line of %d characters: %q", len(l), l)
		}
		if !strings.Contains(l, "https://") && len(l) > 78 {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
	parsed, err := mail.ReadMessage(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject")); got != oneLine(m.Content.Subject) {
		t.Errorf("folded subject decodes to %q", got)
	}
	if got := parsed.Header.Get("List-Unsubscribe"); got != "<"+m.UnsubscribeURL+">" {
		t.Errorf("List-Unsubscribe = %q", got)
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
