// Package pii protects natural persons' identity numbers: encrypted at rest
// with AES-256-GCM, found through a keyed hash (HMAC-SHA256) so that the
// database never holds a clear ID number or an unkeyed hash that could be
// reversed by enumerating the ~10^10 plausible ID numbers.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// Sealer encrypts, decrypts and hashes identity numbers with keys derived
// from one master key.
type Sealer struct {
	aead    cipher.AEAD
	hashKey []byte
}

// MinKeyLen is the minimum master key length in bytes.
const MinKeyLen = 32

// ParseKey decodes a master key given in configuration as base64 (std or
// URL alphabet) or hex. It must decode to at least MinKeyLen bytes.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the data key is empty: set --data-key or XINYONG_DATA_KEY to 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
	}
	for _, dec := range []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) >= MinKeyLen {
			return b, nil
		}
	}
	return nil, fmt.Errorf("the data key must be at least %d bytes in base64 or hex (e.g. `openssl rand -base64 32`)", MinKeyLen)
}

// New derives the encryption and hashing keys from master with HKDF, so
// the two uses never share key material.
func New(master []byte) (*Sealer, error) {
	if len(master) < MinKeyLen {
		return nil, fmt.Errorf("pii: master key has %d bytes, need at least %d", len(master), MinKeyLen)
	}
	encKey := make([]byte, 32)
	hashKey := make([]byte, 32)
	if _, err := hkdf.New(sha256.New, master, nil, []byte("xinyong pii enc v1")).Read(encKey); err != nil {
		return nil, fmt.Errorf("pii: derive encryption key: %w", err)
	}
	if _, err := hkdf.New(sha256.New, master, nil, []byte("xinyong pii hash v1")).Read(hashKey); err != nil {
		return nil, fmt.Errorf("pii: derive hash key: %w", err)
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Sealer{aead: aead, hashKey: hashKey}, nil
}

// normalise makes equal ID numbers hash equally whatever case or spacing
// a department used.
func normalise(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// Hash returns the keyed lookup hash of an ID number, hex encoded.
func (s *Sealer) Hash(id string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(normalise(id)))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts an ID number. The output is nonce || ciphertext.
func (s *Sealer) Seal(id string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, []byte(normalise(id)), nil), nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("pii: sealed value too short")
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", errors.New("pii: cannot decrypt: wrong data key or corrupted value")
	}
	return string(pt), nil
}
