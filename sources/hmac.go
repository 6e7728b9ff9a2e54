package sources

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// SignBase64 returns base64(HMAC-SHA256(secret, body)), the signature Shopify and WooCommerce send.
func SignBase64(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyBase64 reports whether signature is base64(HMAC-SHA256(secret, body)) for one of the
// non-empty secrets. Every secret is checked, and each comparison takes the same time whatever the
// bytes, so the answer's timing tells nothing about the expected signature.
func VerifyBase64(signature string, body []byte, secrets ...string) bool {
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	ok := 0
	for _, s := range secrets {
		if s == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		ok |= subtle.ConstantTimeCompare(m.Sum(nil), got)
	}
	return ok == 1
}

// EqualTokens compares two secrets in constant time. Both are hashed first so that not even their
// lengths leak.
func EqualTokens(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
