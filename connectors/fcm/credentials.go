package fcm

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// defaultTokenURI is Google's OAuth 2.0 token endpoint, used when the key file names none.
const defaultTokenURI = "https://oauth2.googleapis.com/token"

// serviceAccount is what this connector reads from a Google service account key file.
type serviceAccount struct {
	ProjectID    string
	ClientEmail  string
	PrivateKeyID string
	Key          *rsa.PrivateKey
	TokenURI     string
}

func loadServiceAccount(path string) (*serviceAccount, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the service account key file: %w", err)
	}
	var f struct {
		Type         string `json:"type"`
		ProjectID    string `json:"project_id"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s is not a service account key file (JSON): %w", path, err)
	}
	if f.Type != "" && f.Type != "service_account" {
		return nil, fmt.Errorf("%s holds %q credentials; download a service account key from the Firebase console", path, f.Type)
	}
	if f.ClientEmail == "" || f.PrivateKey == "" {
		return nil, fmt.Errorf("%s lacks client_email or private_key; download a service account key from the Firebase console", path)
	}
	key, err := parseRSAKey([]byte(f.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("%s: private_key: %w", path, err)
	}
	if f.TokenURI == "" {
		f.TokenURI = defaultTokenURI
	}
	if u, err := url.Parse(f.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: token_uri %q is not an http(s) URL", path, f.TokenURI)
	}
	return &serviceAccount{
		ProjectID:    f.ProjectID,
		ClientEmail:  f.ClientEmail,
		PrivateKeyID: f.PrivateKeyID,
		Key:          key,
		TokenURI:     f.TokenURI,
	}, nil
}

// parseRSAKey reads a PEM RSA key, PKCS #8 (what Google issues) or PKCS #1.
func parseRSAKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("want an RSA key, got %T", k)
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
}
