package github

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strconv"
	"strings"
	"time"
)

// A GitHub App signs in with a JSON Web Token signed by its private key
// (RS256), exchanges it for an installation token, and uses that token
// until shortly before it expires. The standard library covers RS256, so
// no JWT module is needed.

// jwtLifetime stays under GitHub's limit of ten minutes, with room for a
// clock that runs a little fast.
const jwtLifetime = 9 * time.Minute

// tokenMargin renews an installation token this long before it expires.
const tokenMargin = 5 * time.Minute

func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(text)))
	if block == nil {
		return nil, errors.New("github: the GitHub App private key is not PEM text: save the whole .pem file, from -----BEGIN to -----END")
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("github: the GitHub App private key could not be read: save the .pem file GitHub generated for the app, unchanged")
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("github: the GitHub App private key is not an RSA key: use the key GitHub generated for the app")
	}
	return key, nil
}

// appJWT returns a token that identifies the app itself, valid from a
// minute before now (GitHub's advice against clock drift).
func appJWT(key *rsa.PrivateKey, appID int64, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(jwtLifetime).Unix(),
		"iss": strconv.FormatInt(appID, 10),
	})
	if err != nil {
		return "", err
	}
	unsigned := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(unsigned))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return unsigned + "." + enc.EncodeToString(sig), nil
}
