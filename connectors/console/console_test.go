package console

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

func send(t *testing.T, with map[string]any, m message.Message) string {
	t.Helper()
	var out bytes.Buffer
	c, err := New(with, connectors.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func wantLines(t *testing.T, got string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(got, l+"\n") {
			t.Errorf("output lacks line %q:\n%s", l, got)
		}
	}
}

func TestEveryShapePrintsReadably(t *testing.T) {
	base := message.Message{ID: "m1", Channel: "email", Category: "marketing", Flow: "thank-you-nps", Step: "thanks", Locale: "es",
		To: message.Recipient{CustomerID: "7001", Email: "laura@example.com", Phone: "+51987654321", PushToken: "fcm-token-0123456789abcdefghijklmnop", Name: "Laura"}}

	email := base
	email.Shape = message.Email
	email.Content = message.Content{Subject: "¡Gracias, Laura!", Text: "Hola Laura,\nGracias por tu pedido #1001.", HTML: "<p>Hola</p>"}
	email.UnsubscribeURL = "https://shop.example/u/abc"
	out := send(t, nil, email)
	wantLines(t, out,
		"channel:     email (email, marketing)",
		"flow:        thank-you-nps / thanks",
		"to:          Laura <laura@example.com> (customer 7001)",
		"locale:      es",
		"subject:     ¡Gracias, Laura!",
		"text:        Hola Laura, …",
		"unsubscribe: https://shop.example/u/abc")
	if strings.Contains(out, "<p>") || strings.Contains(out, "#1001") {
		t.Errorf("summary printed the full content:\n%s", out)
	}
	if !strings.HasPrefix(out, "── email message m1 ─") || !strings.HasSuffix(out, "\n\n") {
		t.Errorf("block is not delimited:\n%q", out)
	}

	sms := base
	sms.Shape, sms.Channel, sms.Category = message.SMS, "sms", "transactional"
	sms.Content = message.Content{Text: "Tu pedido #1001 salió hoy"}
	wantLines(t, send(t, nil, sms), "channel:     sms (sms, transactional)", "to:          +51987654321 (customer 7001)", "text:        Tu pedido #1001 salió hoy")

	wa := base
	wa.Shape, wa.Channel = message.WhatsApp, "whatsapp"
	wa.Content = message.Content{TemplateName: "early_access", Params: []string{"Laura", "verano"}}
	wantLines(t, send(t, nil, wa), "template:    early_access (es)", "{{1}}:       Laura", "{{2}}:       verano")

	push := base
	push.Shape, push.Channel = message.Push, "push"
	push.Content = message.Content{Title: "¿Te gustó?", Body: "Cuéntanos", URL: "https://shop.example/r"}
	wantLines(t, send(t, nil, push), "to:          fcm-token-0123456789… (customer 7001)", "title:       ¿Te gustó?", "body:        Cuéntanos", "url:         https://shop.example/r")

	hook := base
	hook.Shape, hook.Channel = message.Webhook, "crm"
	hook.Content = message.Content{Payload: map[string]any{"order_id": "1001"}}
	wantLines(t, send(t, nil, hook), "to:          customer 7001", `payload:     {"order_id":"1001"}`)
}

func TestFullPrintsEveryLine(t *testing.T) {
	m := message.Message{ID: "m1", Channel: "email", Shape: message.Email,
		Content: message.Content{Subject: "S", Text: "line one\nline two", HTML: "<p>html</p>"}}
	wantLines(t, send(t, map[string]any{"full": "true"}, m), "text:", "    line one", "    line two", "html:", "    <p>html</p>")
}

func TestLongLinesAreShortened(t *testing.T) {
	m := message.Message{ID: "m1", Channel: "sms", Shape: message.SMS, Content: message.Content{Text: strings.Repeat("á", 300)}}
	out := send(t, nil, m)
	if strings.Contains(out, strings.Repeat("á", 100)) || !strings.Contains(out, strings.Repeat("á", 99)+"…") {
		t.Errorf("long line not shortened to 100 characters:\n%s", out)
	}
}

func TestConcurrentBlocksDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	c, err := New(nil, connectors.Options{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Send(context.Background(), message.Message{ID: fmt.Sprint(i), Channel: "sms", Shape: message.SMS,
				To: message.Recipient{Phone: fmt.Sprint(i)}, Content: message.Content{Text: fmt.Sprint("text ", i)}})
		}()
	}
	wg.Wait()
	blocks := strings.Split(strings.TrimSuffix(out.String(), "\n\n"), "\n\n")
	if len(blocks) != 20 {
		t.Fatalf("%d blocks, want 20", len(blocks))
	}
	for _, b := range blocks {
		var id string
		fmt.Sscanf(b, "── sms message %s", &id)
		if !strings.Contains(b, "to:          "+id+"\n") || !strings.Contains(b, "text:        text "+id) {
			t.Errorf("block mixes messages:\n%s", b)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	if _, err := New(map[string]any{"full": "very"}, connectors.Options{}); err == nil || !strings.Contains(err.Error(), `setting "full"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := New(map[string]any{"color": true}, connectors.Options{}); err == nil || !strings.Contains(err.Error(), `unknown setting "color"`) {
		t.Errorf("err = %v", err)
	}
}
