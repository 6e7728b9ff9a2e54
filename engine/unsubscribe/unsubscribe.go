// Package unsubscribe makes and checks the signed tokens of unsubscribe links. A token names the
// customer, the channel and the message it came in, and is signed, so a link can neither be
// guessed nor turned against another customer; it carries no email or phone number.
package unsubscribe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// Token is what a link says.
type Token struct {
	CustomerID string
	Channel    string
	MessageID  string
}

var enc = base64.RawURLEncoding

// ErrInvalid is returned for a token that was not signed with the secret or is malformed.
var ErrInvalid = errors.New("the unsubscribe link is not valid")

// Sign returns the token for t, signed with secret.
func Sign(secret []byte, t Token) string {
	payload := enc.EncodeToString([]byte(t.CustomerID + "\x00" + t.Channel + "\x00" + t.MessageID))
	return payload + "." + enc.EncodeToString(mac(secret, payload))
}

// Verify checks a token and returns what it says.
func Verify(secret []byte, token string) (Token, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(secret) == 0 {
		return Token{}, ErrInvalid
	}
	got, err := enc.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, payload)) {
		return Token{}, ErrInvalid
	}
	raw, err := enc.DecodeString(payload)
	if err != nil {
		return Token{}, ErrInvalid
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return Token{}, ErrInvalid
	}
	return Token{CustomerID: parts[0], Channel: parts[1], MessageID: parts[2]}, nil
}

func mac(secret []byte, payload string) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("afterglow-unsubscribe\x00" + payload))
	return h.Sum(nil)[:16]
}

// URL builds the link for a message: base is the engine's public URL.
func URL(base string, secret []byte, t Token) string {
	return strings.TrimRight(base, "/") + "/u/" + Sign(secret, t)
}

// Links builds the unsubscribe link of each message from the settings: the engine's public URL
// (http://LISTEN when none is set) and the secret. It returns nil without a secret: no link can be
// signed then.
func Links(publicURL, listen, secret string) func(customerID, channel, messageID string) string {
	if secret == "" {
		return nil
	}
	if publicURL == "" {
		publicURL = "http://" + listen
	}
	key := []byte(secret)
	return func(customerID, channel, messageID string) string {
		return URL(publicURL, key, Token{CustomerID: customerID, Channel: channel, MessageID: messageID})
	}
}
