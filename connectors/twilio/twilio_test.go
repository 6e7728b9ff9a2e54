// These tests run the connector against a local httptest.Server that speaks Twilio's documented
// Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded, HTTP basic
// auth with the Account SID and Auth Token, answering 201 with a Message resource ({"sid": "SM..."})
// or an error resource ({"code", "message", "more_info", "status"}).
package twilio

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

const sid = "AC0123456789abcdef0123456789abcdef"

func sms() message.Message {
	return message.Message{
		ID: "msg-1", IdempotencyKey: "journey-1/reminder", Channel: "sms", Shape: message.SMS,
		To:      message.Recipient{CustomerID: "7001", Phone: "+51987654321"},
		Content: message.Content{Text: "Laura, tu café se acaba pronto: https://shop.example/r/1"},
	}
}

func connector(t *testing.T, base string, extra map[string]any) connectors.Connector {
	t.Helper()
	with := map[string]any{"account_sid": sid, "auth_token": "tok", "from": "+15550001111", "base_url": base}
	for k, v := range extra {
		if v == nil {
			delete(with, k)
			continue
		}
		with[k] = v
	}
	c, err := New(with, connectors.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type seen struct {
	mu          sync.Mutex
	method      string
	path        string
	user, pass  string
	contentType string
	form        url.Values
}

func twilioServer(t *testing.T, s *seen, status int, header map[string]string, answer string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.method, s.path = r.Method, r.URL.Path
		s.user, s.pass, _ = r.BasicAuth()
		s.contentType = r.Header.Get("Content-Type")
		raw, _ := io.ReadAll(r.Body)
		s.form, _ = url.ParseQuery(string(raw))
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

func TestSendPostsTheDocumentedForm(t *testing.T) {
	var s seen
	srv := twilioServer(t, &s, http.StatusCreated, nil,
		`{"sid":"SM7a6c5f3e2d1b0a9f8e7d6c5b4a3f2e1d","status":"queued","to":"+51987654321","from":"+15550001111","error_code":null}`)
	res, err := connector(t, srv.URL, nil).Send(context.Background(), sms())
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderID != "SM7a6c5f3e2d1b0a9f8e7d6c5b4a3f2e1d" {
		t.Errorf("provider id = %q", res.ProviderID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.method != http.MethodPost || s.path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
		t.Errorf("request = %s %s", s.method, s.path)
	}
	if s.user != sid || s.pass != "tok" {
		t.Errorf("basic auth = %q:%q", s.user, s.pass)
	}
	if s.contentType != "application/x-www-form-urlencoded" {
		t.Errorf("content type = %q", s.contentType)
	}
	if s.form.Get("To") != "+51987654321" || s.form.Get("From") != "+15550001111" || s.form.Get("Body") != sms().Content.Text {
		t.Errorf("form = %v", s.form)
	}
	if s.form.Has("MessagingServiceSid") {
		t.Errorf("MessagingServiceSid sent with a from number: %v", s.form)
	}
}

func TestMessagingServiceInsteadOfFrom(t *testing.T) {
	var s seen
	srv := twilioServer(t, &s, http.StatusCreated, nil, `{"sid":"SM1"}`)
	c := connector(t, srv.URL, map[string]any{"from": nil, "messaging_service_sid": "MG0123", "status_callback": "https://shop.example/twilio/status"})
	if _, err := c.Send(context.Background(), sms()); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.form.Get("MessagingServiceSid") != "MG0123" || s.form.Has("From") {
		t.Errorf("form = %v", s.form)
	}
	if s.form.Get("StatusCallback") != "https://shop.example/twilio/status" {
		t.Errorf("status callback = %q", s.form.Get("StatusCallback"))
	}
}

func TestErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		header    map[string]string
		answer    string
		permanent bool
		wait      time.Duration
		says      string
	}{
		{"invalid number", 400, nil, `{"code":21211,"message":"Invalid 'To' Phone Number: +5198","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`, true, 0, "error 21211: Invalid 'To' Phone Number"},
		{"bad credentials", 401, nil, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`, true, 0, "error 20003"},
		{"rate limited", 429, map[string]string{"Retry-After": "12"}, `{"code":20429,"message":"Too Many Requests","status":429}`, false, 12 * time.Second, "Too Many Requests"},
		{"queue full", 400, nil, `{"code":21611,"message":"This 'From' number has exceeded the maximum number of queued messages","status":400}`, false, 0, "21611"},
		{"outage", 503, map[string]string{"Retry-After": "2"}, `<html>Service Unavailable</html>`, false, 2 * time.Second, "Service Unavailable"},
		{"server error", 500, nil, `{"code":20500,"message":"Internal Server Error","status":500}`, false, 0, "20500"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s seen
			srv := twilioServer(t, &s, tc.status, tc.header, tc.answer)
			_, err := connector(t, srv.URL, nil).Send(context.Background(), sms())
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
	_, err := connector(t, srv.URL, map[string]any{"timeout": "100ms"}).Send(context.Background(), sms())
	if err == nil || connectors.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("timeout ignored: took %v", time.Since(start))
	}
}

func TestUnsendableMessagesArePermanent(t *testing.T) {
	c := connector(t, "http://127.0.0.1:1", nil)
	noPhone := sms()
	noPhone.To.Phone = ""
	email := sms()
	email.Shape = message.Email
	empty := sms()
	empty.Content.Text = " "
	for name, m := range map[string]message.Message{"no phone": noPhone, "email shape": email, "empty text": empty} {
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
		{map[string]any{"auth_token": "t", "from": "+1"}, `setting "account_sid": is required`},
		{map[string]any{"account_sid": "tok", "auth_token": "t", "from": "+1"}, `starts with AC`},
		{map[string]any{"account_sid": sid, "auth_token": "t"}, `setting "from": is required unless messaging_service_sid`},
		{map[string]any{"account_sid": sid, "auth_token": "t", "from": "+1", "messaging_service_sid": "MG1"}, "not both"},
		{map[string]any{"account_sid": sid, "auth_token": "t", "from": "+1", "base_url": "api.twilio.com"}, `setting "base_url"`},
	}
	for _, tc := range cases {
		_, err := New(tc.with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}
}
