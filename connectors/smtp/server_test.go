package smtp

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is an SMTP server for tests that speaks enough of RFC 5321 and its extensions for a
// submission client: EHLO with extensions, STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954),
// XOAUTH2 (as Gmail and Microsoft 365 speak it), MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP,
// QUIT, and configurable 4xx/5xx answers. It counts connections and QUITs, so that tests can tell
// a reused session from a new one.
type fakeServer struct {
	t        testing.TB
	ln       net.Listener
	tlsCfg   *tls.Config
	caFile   string // PEM of the self-signed certificate, for the client's ca_file
	implicit bool   // TLS from the first byte

	// Behaviour, set before the first connection.
	offerStartTLS bool
	authMechs     string   // advertised after TLS, e.g. "PLAIN LOGIN"; "" offers no AUTH
	authBeforeTLS bool     // also advertise AUTH on a plain connection
	user, pass    string   // required credentials; "" needs none
	tokens        []string // access tokens XOAUTH2 accepts for user
	silent        bool     // accept connections but never greet
	replies       map[string]string
	dataReply     string
	closeAfter    int  // close a connection without a word after this many messages on it; 0 never
	closeWith421  bool // at closeAfter, answer the next command 421 and then close, as Postfix does

	mu     sync.Mutex
	got    []received
	auth   []string // mechanisms tried, in order
	conns  int      // connections accepted
	quits  int      // QUIT commands received
	bearer []string // tokens offered with XOAUTH2, in order
}

// received is one accepted transaction.
type received struct {
	tls       bool
	helo      string
	user      string
	from, to  string
	data      string // as on the wire after dot-unstuffing, CRLF kept
	bareLF    bool   // a line ended in LF without CR
	maxLine   int    // longest line, without CRLF
	maxWords  int    // longest line holding an RFC 2047 encoded-word
	mechanism string
}

// newFakeServer starts a server with a fresh self-signed certificate for 127.0.0.1 and localhost.
func newFakeServer(t testing.TB, implicit bool, configure func(*fakeServer)) *fakeServer {
	t.Helper()
	cert, certPEM := selfSigned(t)
	s := &fakeServer{
		t:         t,
		tlsCfg:    &tls.Config{Certificates: []tls.Certificate{cert}},
		implicit:  implicit,
		replies:   map[string]string{},
		dataReply: "250 2.0.0 Ok: queued as 4ZxY1k",
	}
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(s.caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		ln = tls.NewListener(ln, s.tlsCfg)
	}
	s.ln = ln
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				s.serve(conn)
			}()
		}
	}()
	return s
}

func (s *fakeServer) port() string {
	_, p, _ := net.SplitHostPort(s.ln.Addr().String())
	return p
}

func (s *fakeServer) transactions() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// counts returns the connections accepted and the QUITs received so far.
func (s *fakeServer) counts() (conns, quits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.quits
}

func (s *fakeServer) bearerTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bearer...)
}

func (s *fakeServer) authTried() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

func (s *fakeServer) serve(conn net.Conn) {
	if s.silent {
		buf := make([]byte, 1)
		conn.Read(buf) // until the client gives up
		return
	}
	tp := textproto.NewConn(conn)
	isTLS := s.implicit
	var cur received
	authed := false
	delivered := 0 // on this connection
	reply := func(lines ...string) { tp.PrintfLine("%s", strings.Join(lines, "\r\n")) }
	override := func(verb, def string) string {
		if r, ok := s.replies[verb]; ok {
			return r
		}
		return def
	}
	reply("220 fake.test ESMTP ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			cur.helo = arg
			lines := []string{"250-fake.test greets " + arg, "250-PIPELINING", "250-8BITMIME"}
			if s.offerStartTLS && !isTLS {
				lines = append(lines, "250-STARTTLS")
			}
			if s.authMechs != "" && (isTLS || s.authBeforeTLS) {
				lines = append(lines, "250-AUTH "+s.authMechs)
			}
			lines = append(lines, "250 SMTPUTF8")
			reply(lines...)
		case "STARTTLS":
			if !s.offerStartTLS || isTLS {
				reply("502 5.5.1 STARTTLS not available")
				continue
			}
			reply("220 2.0.0 Ready to start TLS")
			tc := tls.Server(conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, tp, isTLS = tc, textproto.NewConn(tc), true
			cur, authed = received{}, false
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			s.mu.Lock()
			s.auth = append(s.auth, strings.ToUpper(mech))
			s.mu.Unlock()
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				if initial == "" {
					reply("334 ")
					initial, _ = tp.ReadLine()
				}
				raw, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(raw), "\x00")
				if len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
				u, _ := tp.ReadLine()
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				p, _ := tp.ReadLine()
				ub, _ := base64.StdEncoding.DecodeString(u)
				pb, _ := base64.StdEncoding.DecodeString(p)
				user, pass = string(ub), string(pb)
			case "XOAUTH2":
				raw, _ := base64.StdEncoding.DecodeString(initial)
				fields := map[string]string{}
				for _, f := range strings.Split(string(raw), "\x01") {
					if k, v, ok := strings.Cut(f, "="); ok {
						fields[k] = v
					}
				}
				token := strings.TrimPrefix(fields["auth"], "Bearer ")
				s.mu.Lock()
				s.bearer = append(s.bearer, token)
				s.mu.Unlock()
				if fields["user"] == s.user && slices.Contains(s.tokens, token) {
					authed, cur.user, cur.mechanism = true, s.user, "XOAUTH2"
					reply("235 2.7.0 Accepted")
					continue
				}
				// Google's answer to a bad token: a challenge with the error, then 535 once the
				// client has answered it with an empty line.
				reply("334 " + base64.StdEncoding.EncodeToString([]byte(`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`)))
				tp.ReadLine()
				reply("535 5.7.8 Username and Password not accepted")
				continue
			default:
				reply("504 5.5.4 Unrecognized authentication type")
				continue
			}
			if user == s.user && pass == s.pass {
				authed, cur.user, cur.mechanism = true, user, strings.ToUpper(mech)
				reply(override("AUTH", "235 2.7.0 Authentication successful"))
			} else {
				reply("535 5.7.8 Authentication credentials invalid")
			}
		case "MAIL":
			if s.user != "" && !authed {
				reply("530 5.7.0 Authentication required")
				continue
			}
			cur.from = between(arg, "<", ">")
			reply(override("MAIL", "250 2.1.0 Ok"))
		case "RCPT":
			cur.to = between(arg, "<", ">")
			reply(override("RCPT", "250 2.1.5 Ok"))
		case "DATA":
			if r := override("DATA", ""); r != "" {
				reply(r)
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			data, bareLF, longest, err := readData(tp.R)
			if err != nil {
				return
			}
			cur.tls, cur.data, cur.bareLF, cur.maxLine = isTLS, data, bareLF, longest
			for _, l := range strings.Split(data, "\r\n") {
				if strings.Contains(l, "=?") {
					cur.maxWords = max(cur.maxWords, len(l))
				}
			}
			// Recorded before the answer, which may be the last thing the client waits for.
			if strings.HasPrefix(s.dataReply, "250") {
				s.mu.Lock()
				s.got = append(s.got, cur)
				s.mu.Unlock()
				delivered++
			}
			reply(s.dataReply)
			cur = received{helo: cur.helo, user: cur.user, mechanism: cur.mechanism}
			if s.closeAfter > 0 && delivered >= s.closeAfter {
				if s.closeWith421 {
					tp.ReadLine()
					reply("421 4.4.2 fake.test Error: timeout exceeded")
				}
				return // as a server does when it drops an idle session
			}
		case "RSET":
			reply("250 2.0.0 Ok")
		case "NOOP":
			reply("250 2.0.0 Ok")
		case "QUIT":
			s.mu.Lock()
			s.quits++
			s.mu.Unlock()
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Error: command not recognized")
		}
	}
}

// readData reads a DATA body up to the lone dot, undoing dot-stuffing but keeping line endings
// as they came, so the test can check them.
func readData(r *bufio.Reader) (data string, bareLF bool, longest int, err error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", false, 0, err
		}
		if line == ".\r\n" {
			return b.String(), bareLF, longest, nil
		}
		if !strings.HasSuffix(line, "\r\n") {
			bareLF = true
		}
		longest = max(longest, len(strings.TrimRight(line, "\r\n")))
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}

func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and its PEM for a trust store.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
