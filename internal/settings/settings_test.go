package settings

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReadsYAMLShapes(t *testing.T) {
	r := New("demo", map[string]any{
		"port":     "587",
		"other":    2525,
		"json":     float64(25),
		"flag":     "true",
		"id":       106540352242922,
		"timeout":  "1m30s",
		"seconds":  10,
		"mode":     "STARTTLS",
		"endpoint": "https://api.example.com/x",
		"headers":  map[string]any{"X-Team": "crm", "X-N": 3},
	})
	if got := r.Int("port", 0, 1, 65535); got != 587 {
		t.Errorf("port = %d, want 587", got)
	}
	if got := r.Int("other", 0, 1, 65535); got != 2525 {
		t.Errorf("other = %d", got)
	}
	if got := r.Int("json", 0, 1, 65535); got != 25 {
		t.Errorf("json = %d", got)
	}
	if !r.Bool("flag", false) {
		t.Error("flag not read as true")
	}
	if got := r.String("id", ""); got != "106540352242922" {
		t.Errorf("id = %q", got)
	}
	if got := r.Duration("timeout", 0); got != 90*time.Second {
		t.Errorf("timeout = %v", got)
	}
	if got := r.Duration("seconds", 0); got != 10*time.Second {
		t.Errorf("seconds = %v", got)
	}
	if got := r.Enum("mode", "none", "starttls", "none"); got != "starttls" {
		t.Errorf("mode = %q", got)
	}
	if got := r.URL("endpoint", ""); got == nil || got.Host != "api.example.com" {
		t.Errorf("endpoint = %v", got)
	}
	if got := r.StringMap("headers"); got["X-Team"] != "crm" || got["X-N"] != "3" {
		t.Errorf("headers = %v", got)
	}
	if got := r.String("absent", "dflt"); got != "dflt" {
		t.Errorf("absent = %q", got)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func TestReportsEveryProblemByName(t *testing.T) {
	r := New("demo", map[string]any{
		"port":     "abc",
		"range":    70000,
		"flag":     "maybe",
		"password": "",
		"mode":     "ssl",
		"endpoint": "ftp://x",
		"hots":     "typo",
	})
	r.Int("port", 0, 1, 65535)
	r.Int("range", 0, 1, 65535)
	r.Bool("flag", false)
	r.Required("password")
	r.Required("host")
	r.Enum("mode", "none", "starttls", "none")
	r.URL("endpoint", "")
	err := r.Err()
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		`demo: setting "port": want a whole number, got "abc"`,
		`setting "range": want a number from 1 to 65535, got 70000`,
		`setting "flag": want true or false`,
		`setting "password": is empty; if it comes from ${VAR}`,
		`setting "host": is required`,
		`setting "mode": want one of starttls, none, got "ssl"`,
		`setting "endpoint": want an absolute http:// or https:// URL`,
		`unknown setting "hots"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var u *UnknownError
	if !errors.As(err, &u) {
		t.Fatal("unknown key is not an *UnknownError")
	}
	if got := strings.Join(u.Known, ","); got != "endpoint,flag,host,mode,password,port,range" {
		t.Errorf("known = %s", got)
	}
}

func TestNestedMappingsNameTheirSettings(t *testing.T) {
	r := New("demo", map[string]any{
		"oauth2": map[string]any{"token_url": "ftp://x", "client_id": "", "scpoe": "mail"},
		"plain":  "text",
	})
	o := r.Object("oauth2")
	o.URL("token_url", "")
	o.Required("client_id")
	o.String("scope", "")
	if r.Object("absent") != nil {
		t.Error("an absent mapping should give no Reader")
	}
	if r.Object("plain") != nil {
		t.Error("text is not a mapping")
	}
	err := r.Err()
	for _, want := range []string{
		`demo: setting "oauth2.token_url": want an absolute http:// or https:// URL`,
		`setting "oauth2.client_id": is empty`,
		`unknown setting "oauth2.scpoe"`,
		`setting "plain": want a mapping of settings, got`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
