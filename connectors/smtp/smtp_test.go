// These tests run the connector against fakeServer (server_test.go), an in-test SMTP server that
// speaks EHLO, STARTTLS with a certificate generated here, AUTH PLAIN and LOGIN, MAIL, RCPT and
// DATA, and answers 250, 4xx or 5xx as each test asks. The received DATA is parsed with net/mail
// and mime/multipart.
package smtp

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/afterglowhq/afterglow/connectors"
	"github.com/afterglowhq/afterglow/message"
)

var clock = time.Date(2025, 10, 14, 15, 4, 5, 0, time.FixedZone("PET", -5*3600))

const (
	subject = "¡Gracias por tu compra, Laura! Tu pedido #1001 de café de especialidad ya está en camino"
	text    = "Hola Laura,\n\nGracias por tu pedido #1001. Lo preparamos con cariño y te avisaremos en cuanto salga de nuestro almacén en Miraflores.\n.Esta línea empieza con un punto.\n\nEl equipo de Tienda"
	html    = "<html><body><p>Hola <b>Laura</b>,</p><p>Gracias por tu pedido #1001 — ¡ya casi es tuyo!</p>\n<p><a href=\"https://tienda.example/pedidos/1001?utm_source=afterglow&amp;utm_medium=email\">Ver pedido</a></p></body></html>"
)

func email() message.Message {
	return message.Message{
		ID: "msg-1", IdempotencyKey: "journey-1/thanks", Channel: "email", Shape: message.Email,
		Category: "marketing", Flow: "thank-you-nps", Step: "thanks", Locale: "es",
		To:             message.Recipient{CustomerID: "7001", Email: "laura@example.com", Name: "Laura Núñez"},
		Content:        message.Content{Subject: subject, Text: text, HTML: html},
		UnsubscribeURL: "https://tienda.example/u/7001?sig=abc",
	}
}

func newConnector(t testing.TB, s *fakeServer, extra map[string]any) connectors.Connector {
	t.Helper()
	with := map[string]any{
		"host": "127.0.0.1", "port": s.port(), "from": "Tienda Ñandú <hola@tienda.example>",
		"ca_file": s.caFile, "helo_name": "mailer.tienda.example", "timeout": "5s",
	}
	if s.implicit {
		with["tls"] = "implicit"
	}
	for k, v := range extra {
		if v == nil {
			delete(with, k)
			continue
		}
		with[k] = v
	}
	c, err := New(with, connectors.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.(io.Closer).Close() })
	return c
}

func withAuth(s *fakeServer) {
	s.offerStartTLS, s.authMechs, s.user, s.pass = true, "PLAIN LOGIN", "shop", "pä55 word"
}

var creds = map[string]any{"username": "shop", "password": "pä55 word"}

func only(t *testing.T, s *fakeServer) received {
	t.Helper()
	got := s.transactions()
	if len(got) != 1 {
		t.Fatalf("server accepted %d messages, want 1", len(got))
	}
	return got[0]
}

func TestStartTLSAuthAndMIMEMessage(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	res, err := newConnector(t, s, creds).Send(context.Background(), email())
	if err != nil {
		t.Fatal(err)
	}
	if res.ProviderID != "4ZxY1k" {
		t.Errorf("provider id = %q, want the queue id from the server's reply", res.ProviderID)
	}
	r := only(t, s)
	if !r.tls || r.user != "shop" || r.mechanism != "PLAIN" {
		t.Errorf("tls %v, user %q, mechanism %q; want STARTTLS then AUTH PLAIN as shop", r.tls, r.user, r.mechanism)
	}
	if r.helo != "mailer.tienda.example" || r.from != "hola@tienda.example" || r.to != "laura@example.com" {
		t.Errorf("EHLO %q, MAIL FROM %q, RCPT TO %q", r.helo, r.from, r.to)
	}
	if r.bareLF || r.maxLine > 78 || r.maxWords > 76 {
		t.Errorf("lines: bare LF %v, longest %d, longest with an encoded-word %d; want CRLF only, at most 78 and 76 (RFC 5322, RFC 2047)", r.bareLF, r.maxLine, r.maxWords)
	}

	msg, err := mail.ReadMessage(strings.NewReader(r.data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Tienda Ñandú" || from[0].Address != "hola@tienda.example" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Laura Núñez" || to[0].Address != "laura@example.com" {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	raw := h.Get("Subject")
	if !strings.HasPrefix(strings.ToLower(raw), "=?utf-8?q?") || strings.ContainsFunc(raw, func(r rune) bool { return r > 127 }) {
		t.Errorf("Subject is not RFC 2047 Q-encoded ASCII: %q", raw)
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || dec != subject {
		t.Errorf("Subject decodes to %q (%v), want %q", dec, err, subject)
	}
	if d, err := h.Date(); err != nil || !d.Equal(clock) {
		t.Errorf("Date = %q (%v), want %v", h.Get("Date"), err, clock)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{32}@tienda\.example>$`).MatchString(h.Get("Message-Id")) {
		t.Errorf("Message-ID = %q", h.Get("Message-Id"))
	}
	if h.Get("Mime-Version") != "1.0" {
		t.Errorf("MIME-Version = %q", h.Get("Mime-Version"))
	}
	if got := h.Get("List-Unsubscribe"); got != "<https://tienda.example/u/7001?sig=abc>" {
		t.Errorf("List-Unsubscribe = %q", got)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}

	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for i, want := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		// NextRawPart, because NextPart would decode quoted-printable and hide the header.
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pt != want.typ || !strings.EqualFold(pp["charset"], "utf-8") {
			t.Errorf("part %d Content-Type = %q", i+1, p.Header.Get("Content-Type"))
		}
		if cte := p.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("part %d Content-Transfer-Encoding = %q", i+1, cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(p))
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != want.body {
			t.Errorf("part %d body =\n%q\nwant\n%q", i+1, got, want.body)
		}
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("more than two parts: %v", err)
	}
}

func TestRetryKeepsTheMessageID(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	c := newConnector(t, s, creds)
	other := email()
	other.IdempotencyKey = "journey-2/thanks"
	for _, m := range []message.Message{email(), email(), other} {
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for _, r := range s.transactions() {
		msg, err := mail.ReadMessage(strings.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, msg.Header.Get("Message-Id"))
	}
	if len(ids) != 3 || ids[0] != ids[1] || ids[0] == ids[2] {
		t.Errorf("Message-IDs = %v; want the first two equal (same key) and the third different", ids)
	}
}

func TestLoginAuth(t *testing.T) {
	s := newFakeServer(t, false, func(s *fakeServer) { withAuth(s); s.authMechs = "LOGIN CRAM-MD5" })
	if _, err := newConnector(t, s, creds).Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); r.mechanism != "LOGIN" || r.user != "shop" || !r.tls {
		t.Errorf("mechanism %q, user %q, tls %v", r.mechanism, r.user, r.tls)
	}
}

func TestImplicitTLS(t *testing.T) {
	s := newFakeServer(t, true, func(s *fakeServer) { s.authMechs, s.user, s.pass = "PLAIN", "shop", "pä55 word" })
	if _, err := newConnector(t, s, creds).Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); !r.tls || r.user != "shop" {
		t.Errorf("tls %v, user %q", r.tls, r.user)
	}
}

func TestRefusesPasswordWithoutTLS(t *testing.T) {
	noTLS := func(s *fakeServer) {
		s.authMechs, s.authBeforeTLS, s.user, s.pass = "PLAIN LOGIN", true, "shop", "pä55 word"
	}
	s := newFakeServer(t, false, noTLS)
	_, err := newConnector(t, s, creds).Send(context.Background(), email())
	if !connectors.IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a permanent refusal naming STARTTLS", err)
	}
	if tried := s.authTried(); len(tried) != 0 {
		t.Errorf("credentials sent over plain text with %v", tried)
	}

	s = newFakeServer(t, false, noTLS)
	if _, err := newConnector(t, s, map[string]any{"username": "shop", "password": "pä55 word", "allow_plaintext_auth": true}).Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); r.tls || r.user != "shop" {
		t.Errorf("with allow_plaintext_auth: tls %v, user %q", r.tls, r.user)
	}
}

func TestWithoutCredentialsStartTLSIsOpportunistic(t *testing.T) {
	s := newFakeServer(t, false, nil)
	if _, err := newConnector(t, s, nil).Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); r.tls {
		t.Error("TLS reported on a server that does not offer it")
	}

	s = newFakeServer(t, false, func(s *fakeServer) { s.offerStartTLS = true })
	if _, err := newConnector(t, s, nil).Send(context.Background(), email()); err != nil {
		t.Fatal(err)
	}
	if r := only(t, s); !r.tls {
		t.Error("STARTTLS offered but not used")
	}
}

func TestServerCertificateIsVerified(t *testing.T) {
	s := newFakeServer(t, false, withAuth)
	_, err := newConnector(t, s, map[string]any{"ca_file": nil, "username": "shop", "password": "pä55 word"}).Send(context.Background(), email())
	if err == nil || connectors.IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a transient certificate error", err)
	}
	if len(s.transactions()) != 0 || len(s.authTried()) != 0 {
		t.Error("went on after an unverified certificate")
	}
	if _, err := newConnector(t, s, map[string]any{"ca_file": nil, "insecure_skip_verify": "true", "username": "shop", "password": "pä55 word"}).Send(context.Background(), email()); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}
}

func TestAnswersAreClassified(t *testing.T) {
	cases := []struct {
		name      string
		configure func(*fakeServer)
		password  string
		permanent bool
		says      string
	}{
		{"unknown mailbox", func(s *fakeServer) {
			s.replies["RCPT"] = "550 5.1.1 <laura@example.com>: Recipient address rejected: User unknown"
		}, "", true, "RCPT TO <laura@example.com>: server answered 550 5.1.1"},
		{"greylisted", func(s *fakeServer) { s.replies["RCPT"] = "450 4.2.0 Greylisted, try again in 5 minutes" }, "", false, "450 4.2.0 Greylisted"},
		{"queue full", func(s *fakeServer) { s.dataReply = "451 4.3.0 Error: queue file write error" }, "", false, "end of DATA: server answered 451"},
		{"content rejected", func(s *fakeServer) { s.dataReply = "554 5.7.1 Message rejected as spam" }, "", true, "554 5.7.1"},
		{"sender rate limited", func(s *fakeServer) { s.replies["MAIL"] = "421 4.7.0 Too many messages, slow down" }, "", false, "421"},
		{"wrong password", nil, "wrong", true, "535 5.7.8"},
		{"no common mechanism", func(s *fakeServer) { s.authMechs = "CRAM-MD5 XOAUTH2" }, "", true, "CRAM-MD5, XOAUTH2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t, false, func(s *fakeServer) {
				withAuth(s)
				if tc.configure != nil {
					tc.configure(s)
				}
			})
			pass := "pä55 word"
			if tc.password != "" {
				pass = tc.password
			}
			_, err := newConnector(t, s, map[string]any{"username": "shop", "password": pass}).Send(context.Background(), email())
			if err == nil {
				t.Fatal("no error")
			}
			if connectors.IsPermanent(err) != tc.permanent {
				t.Errorf("permanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q lacks %q", err, tc.says)
			}
			if len(s.transactions()) != 0 {
				t.Error("server recorded a delivery")
			}
		})
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	s := newFakeServer(t, false, func(s *fakeServer) { s.silent = true })
	start := time.Now()
	_, err := newConnector(t, s, map[string]any{"timeout": "200ms"}).Send(context.Background(), email())
	if err == nil || connectors.IsPermanent(err) || !strings.Contains(err.Error(), "no answer in time") {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("took %v for a 200ms timeout", time.Since(start))
	}

	// The caller's context ends a conversation just as well, deadline or cancellation.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := newConnector(t, s, nil).Send(ctx, email()); err == nil || connectors.IsPermanent(err) || !strings.Contains(err.Error(), "no answer in time") {
		t.Fatalf("err = %v, want a transient timeout", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	if _, err := newConnector(t, s, nil).Send(ctx, email()); err == nil || connectors.IsPermanent(err) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v, want a transient cancellation", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
}

func TestSinglePartMessages(t *testing.T) {
	s := newFakeServer(t, false, nil)
	c := newConnector(t, s, nil)
	plain := email()
	plain.Content.HTML, plain.UnsubscribeURL = "", ""
	htmlOnly := email()
	htmlOnly.Content.Text = ""
	for _, m := range []message.Message{plain, htmlOnly} {
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := s.transactions()
	if len(got) != 2 {
		t.Fatalf("%d messages", len(got))
	}
	for i, want := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		msg, err := mail.ReadMessage(strings.NewReader(got[i].data))
		if err != nil {
			t.Fatal(err)
		}
		if ct := msg.Header.Get("Content-Type"); ct != want.typ+"; charset=UTF-8" {
			t.Errorf("message %d Content-Type = %q", i+1, ct)
		}
		if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("message %d Content-Transfer-Encoding = %q", i+1, cte)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if got := strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n"); got != want.body {
			t.Errorf("message %d body = %q", i+1, got)
		}
	}
	first, _ := mail.ReadMessage(strings.NewReader(got[0].data))
	if first.Header.Get("List-Unsubscribe") != "" || first.Header.Get("List-Unsubscribe-Post") != "" {
		t.Error("unsubscribe headers without an unsubscribe URL")
	}
}

func TestHeaderInjectionIsDefused(t *testing.T) {
	s := newFakeServer(t, false, nil)
	m := email()
	m.Content.Subject = "Hola\r\nBcc: spy@evil.example"
	if _, err := newConnector(t, s, nil).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(only(t, s).data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Errorf("subject injected a header: Bcc %q", msg.Header.Get("Bcc"))
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); got != "Hola Bcc: spy@evil.example" {
		t.Errorf("Subject = %q", got)
	}
}

func TestUnsendableMessagesArePermanent(t *testing.T) {
	s := newFakeServer(t, false, nil)
	c := newConnector(t, s, nil)
	noAddress := email()
	noAddress.To.Email = ""
	badAddress := email()
	badAddress.To.Email = "laura@@example.com"
	empty := email()
	empty.Content.Text, empty.Content.HTML = "", " "
	sms := email()
	sms.Shape = message.SMS
	for name, m := range map[string]message.Message{"no address": noAddress, "bad address": badAddress, "no body": empty, "sms shape": sms} {
		if _, err := c.Send(context.Background(), m); !connectors.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
	if len(s.transactions()) != 0 {
		t.Error("an unsendable message reached the server")
	}
}

func TestSettings(t *testing.T) {
	cases := []struct {
		with map[string]any
		want string
	}{
		{map[string]any{"from": "a@b.example"}, `setting "host": is required`},
		{map[string]any{"host": "smtp.example.com"}, `setting "from": is required`},
		{map[string]any{"host": "smtp.example.com", "from": "Tienda hola@"}, `setting "from": want an address`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "port": "submission"}, `setting "port": want a whole number`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "tls": "ssl"}, `setting "tls": want one of starttls, implicit, none`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "tls": "none", "username": "u", "password": "p"}, `setting "tls": none would send the credentials unencrypted`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "username": "u"}, `setting "password": a username needs a password, a token or oauth2`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "ca_file": "/nonexistent/ca.pem"}, `setting "ca_file": cannot read it`},
		{map[string]any{"host": "smtp.example.com", "from": "a@b.example", "pasword": "p"}, `unknown setting "pasword"`},
	}
	for _, tc := range cases {
		_, err := New(tc.with, connectors.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.with, err, tc.want)
		}
	}
	for mode, port := range map[string]string{"starttls": "587", "implicit": "465", "none": "25"} {
		c, err := New(map[string]any{"host": "smtp.example.com", "from": "a@b.example", "tls": mode}, connectors.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*connector).cfg.addr; got != "smtp.example.com:"+port {
			t.Errorf("tls %s: address %s, want port %s", mode, got, port)
		}
	}
	c, err := New(map[string]any{"host": "smtp.example.com", "from": "a@b.example", "port": 2525}, connectors.Options{})
	if err != nil || c.(*connector).cfg.addr != "smtp.example.com:2525" {
		t.Errorf("integer port: %v", err)
	}
}
