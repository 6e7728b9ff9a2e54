package unsubscribe

import (
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret")
	tok := Token{CustomerID: "820982911946154508", Channel: "email", MessageID: "m_abc"}
	s := Sign(secret, tok)
	got, err := Verify(secret, s)
	if err != nil || got != tok {
		t.Fatalf("got %+v %v", got, err)
	}
	if strings.Contains(s, "@") || strings.ContainsAny(s, "/+=") {
		t.Errorf("token %q must be URL-safe", s)
	}
	for name, bad := range map[string]string{
		"other secret":    Sign([]byte("other"), tok),
		"tampered":        Sign(secret, Token{CustomerID: "1", Channel: "email", MessageID: "m"})[:10] + s[10:],
		"no signature":    strings.Split(s, ".")[0],
		"garbage":         "%%%.***",
		"empty":           "",
		"swapped payload": Sign(secret, Token{CustomerID: "other", Channel: "email", MessageID: "m_abc"})[:strings.Index(s, ".")] + s[strings.Index(s, "."):],
	} {
		if _, err := Verify(secret, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Verify(nil, s); err == nil {
		t.Error("no secret: accepted")
	}
	if u := URL("https://shop.example/", secret, tok); !strings.HasPrefix(u, "https://shop.example/u/") {
		t.Errorf("url %s", u)
	}
}
