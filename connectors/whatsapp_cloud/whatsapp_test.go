// These tests run the connector against a local httptest.Server that speaks Meta's documented
// WhatsApp Cloud API: POST /{version}/{phone_number_id}/messages with a bearer token and a JSON
// message object, answering {"messaging_product", "contacts", "messages": [{"id": "wamid..."}]} or
// {"error": {"message", "type", "code", "error_data", "fbtrace_id"}}.
package whatsapp_cloud

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

const okAnswer = `{"messaging_product":"whatsapp","contacts":[{"input":"+51987654321","wa_id":"51987654321"}],"messages":[{"id":"wamid.HBgLNTE5ODc2NTQzMjEVAgARGBI5QTND","message_status":"accepted"}]}`

type seen struct {
	mu                        sync.Mutex
	method, path, auth, ctype string
	body                      map[string]any
}

func metaServer(t *testing.T, s *seen, status int, header map[string]string, answer string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.method, s.path = r.Method, r.URL.Path
		s.auth, s.ctype = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		s.body = nil
		if err := json.Unmarshal(raw, &s.body); err != nil {
			t.Errorf("request body is not JSON: %v: %s", err, raw)
		}
		s.mu.Unlock()
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func connector(t *testing.T, base string, extra map[string]any) connectors.Connector {
	t.Helper()
	with := map[string]any{"phone_number_id": 106540352242922, "token": "EAAG-token", "base_url": base}
	for k, v := range extra {
		with[k] = v
	}
	c, err := New(with, connectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func templated() message.Message {
	return message.Message{
		ID: "msg-1", IdempotencyKey: "journey-3/early-access", Channel: "whatsapp", Shape: message.WhatsApp, Locale: "es-PE",
		To:      message.Recipient{CustomerID: "7001", Phone: "+51987654321"},
		Content: message.Content{TemplateName: "early_access", Params: []string{"Laura", "Colección de verano"}},
	}
}

func TestTemplateMessage(t *testing.T) {
	var s seen
	srv := metaServer(t, &s, http.StatusOK, nil, okAnswer)
	res, err := connector(t, srv.URL, nil).Send(context.Background(), templated())
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderID != "wamid.HBgLNTE5ODc2NTQzMjEVAgARGBI5QTND" {
		t.Errorf("provider id = %q", res.ProviderID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.method != http.MethodPost || s.path != "/v23.0/106540352242922/messages" {
		t.Errorf("request = %s %s", s.method, s.path)
	}
	if s.auth != "Bearer EAAG-token" || s.ctype != "application/json" {
		t.Errorf("authorization %q, content type %q", s.auth, s.ctype)
	}
	var want map[string]any
	json.Unmarshal([]byte(`{
		"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+51987654321", "type": "template",
		"biz_opaque_callback_data": "journey-3/early-access",
		"template": {"name": "early_access", "language": {"code": "es_PE"},
			"components": [{"type": "body", "parameters": [{"type": "text", "text": "Laura"}, {"type": "text", "text": "Colección de verano"}]}]}
	}`), &want)
	if !reflect.DeepEqual(s.body, want) {
		t.Errorf("body =\n%v\nwant\n%v", s.body, want)
	}
}

func TestTemplateLanguageChoice(t *testing.T) {
	cases := []struct {
		content, locale, fallback, want string
	}{
		{"en_US", "es-PE", "pt_BR", "en_US"},
		{"", "pt-BR", "es", "pt_BR"},
		{"", "", "es", "es"},
	}
	for _, tc := range cases {
		var s seen
		srv := metaServer(t, &s, http.StatusOK, nil, okAnswer)
		m := templated()
		m.Content.Language, m.Locale, m.Content.Params = tc.content, tc.locale, nil
		if _, err := connector(t, srv.URL, map[string]any{"default_language": tc.fallback}).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		tpl, _ := s.body["template"].(map[string]any)
		lang, _ := tpl["language"].(map[string]any)
		if lang["code"] != tc.want {
			t.Errorf("%+v: language = %v", tc, lang["code"])
		}
		if _, has := tpl["components"]; has {
			t.Errorf("components sent for a template without params: %v", tpl)
		}
		s.mu.Unlock()
	}
}

func TestTextMessage(t *testing.T) {
	var s seen
	srv := metaServer(t, &s, http.StatusOK, nil, okAnswer)
	m := templated()
	m.Content = message.Content{Text: "Hola Laura, ¿cómo te fue con tu pedido? https://shop.example/o/1001"}
	if _, err := connector(t, srv.URL, map[string]any{"preview_url": "true"}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.body["type"] != "text" {
		t.Errorf("type = %v", s.body["type"])
	}
	txt, _ := s.body["text"].(map[string]any)
	if txt["body"] != m.Content.Text || txt["preview_url"] != true {
		t.Errorf("text = %v", txt)
	}
	if _, has := s.body["template"]; has {
		t.Error("a text message carried a template")
	}
}

func TestErrorsAreClassified(t *testing.T) {
	metaError := func(code int, msg string) string {
		return `{"error":{"message":"` + msg + `","type":"OAuthException","code":` + itoa(code) + `,"error_data":{"messaging_product":"whatsapp","details":"more detail"},"fbtrace_id":"AbCdEf"}}`
	}
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		answer    string
		permanent bool
		wait      time.Duration
		says      string
	}{
		{"template missing", 400, nil, metaError(132001, "(#132001) Template name does not exist in the translation"), true, 0, "error 132001"},
		{"token expired", 401, nil, metaError(190, "Error validating access token"), true, 0, "error 190"},
		{"pair rate limit", 400, nil, metaError(131056, "(#131056) (Business Account, Consumer Account) pair rate limit hit"), false, 0, "131056"},
		{"throughput", 429, map[string]string{"Retry-After": "30"}, metaError(130429, "Rate limit hit"), false, 30 * time.Second, "130429"},
		{"app rate limit", 400, nil, metaError(4, "(#4) Application request limit reached"), false, 0, "error 4:"},
		{"rate limit issues", 400, nil, metaError(80007, "(#80007) Rate limit issues"), false, 0, "80007"},
		{"meta failure", 500, nil, metaError(131000, "Something went wrong"), false, 0, "131000"},
		{"gateway", 502, nil, `<html>Bad Gateway</html>`, false, 0, "Bad Gateway"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s seen
			srv := metaServer(t, &s, tc.status, tc.header, tc.answer)
			_, err := connector(t, srv.URL, nil).Send(context.Background(), templated())
			if err == nil {
				t.Fatal("no error")
			}
			if connectors.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if got := connectors.RetryAfter(err); got != tc.wait {
				t.Errorf("retry after = %v, want %v", got, tc.wait)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q lacks %q", err, tc.says)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestTimeoutIsTransient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	_, err := connector(t, srv.URL, map[string]any{"timeout": "100ms"}).Send(context.Background(), templated())
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout ignored: took %v", time.Since(start))
	}
}

func TestUnsendableMessagesArePermanent(t *testing.T) {
	c := connector(t, "http://127.0.0.1:1", nil)
	noLang := templated()
	noLang.Locale = ""
	noPhone := templated()
	noPhone.To.Phone = ""
	empty := templated()
	empty.Content = message.Content{}
	sms := templated()
	sms.Shape = message.SMS
	for name, m := range map[string]message.Message{"no language": noLang, "no phone": noPhone, "no content": empty, "sms shape": sms} {
		if _, err := c.Send(context.Background(), m); !connectors.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	cases := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{"token": "t"}, `setting "phone_number_id": is required`},
		{map[string]any{"phone_number_id": "+15550001111", "token": "t"}, "not the phone number"},
		{map[string]any{"phone_number_id": "1234", "token": ""}, `setting "token": is empty`},
		{map[string]any{"phone_number_id": "1234", "token": "t", "api_version": "23"}, `setting "api_version"`},
		{map[string]any{"phone_number_id": "1234", "token": "t", "preview_url": "sometimes"}, `setting "preview_url"`},
	}
	for _, tc := range cases {
		_, err := New(tc.with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}
}
