package fcm

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"

	googleauth "golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"
)

// loadServiceAccount reads a Google service account key file into the configuration of the
// JWT-bearer grant (RFC 7523) with the FCM scope, and the project the file names. The file is
// checked here, at start-up, so that a broken key stops `afterglow run` instead of failing every
// message: golang.org/x/oauth2 itself reads the key only when it first asks for a token.
func loadServiceAccount(path string) (*jwt.Config, string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read the service account key file: %w", err)
	}
	var f struct {
		Type        string `json:"type"`
		ProjectID   string `json:"project_id"`
		PrivateKey  string `json:"private_key"`
		ClientEmail string `json:"client_email"`
		TokenURI    string `json:"token_uri"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, "", fmt.Errorf("%s is not a service account key file (JSON): %w", path, err)
	}
	if f.Type != "service_account" {
		return nil, "", fmt.Errorf("%s holds %q credentials, not service_account ones; download a service account key from the Firebase console", path, f.Type)
	}
	if f.ClientEmail == "" || f.PrivateKey == "" {
		return nil, "", fmt.Errorf("%s lacks client_email or private_key; download a service account key from the Firebase console", path)
	}
	if err := checkKey([]byte(f.PrivateKey)); err != nil {
		return nil, "", fmt.Errorf("%s: private_key: %w", path, err)
	}
	if f.TokenURI != "" {
		if u, err := url.Parse(f.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, "", fmt.Errorf("%s: token_uri %q is not an http(s) URL", path, f.TokenURI)
		}
	}
	cfg, err := googleauth.JWTConfigFromJSON(raw, Scope)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return cfg, f.ProjectID, nil
}

// checkKey tells whether the key is one Google signs with: PEM, PKCS #8 (what Google issues) or
// PKCS #1, RSA.
func checkKey(pemBytes []byte) error {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return fmt.Errorf("not a PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return fmt.Errorf("want an RSA key, got %T", k)
		}
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		return fmt.Errorf("not an RSA private key in PKCS #8 or PKCS #1: %v", err)
	}
	return nil
}
