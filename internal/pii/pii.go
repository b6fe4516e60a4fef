// Package pii protects natural persons' identity numbers: encrypted at rest
// with AES-256-GCM, found through a keyed hash (HMAC-SHA256) so that the
// database never holds a clear ID number or an unkeyed hash that could be
// reversed by enumerating the ~10^10 plausible ID numbers.
//
// A Sealer holds the current data key and, while a key rotation is under
// way, the previous one: it seals and hashes with the current key, opens
// a value with the key named in it, and finds a person by the hashes of
// every key it holds. The store keeps each key's check value (CheckValue),
// never the key, so that a node given the wrong key refuses to start
// (keys.go), and `xinyong key rotate` re-seals everything under a new key
// (rotate.go, with the registry of sealed columns in columns.go).
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
	"sync/atomic"

	"golang.org/x/crypto/hkdf"
)

// Sealer encrypts, decrypts and hashes identity numbers with keys derived
// from a master key: the current one, and any previous ones it was given.
//
// A node adopts a rotation begun while it runs (Adopt): the keys are
// swapped atomically, so a Sealer is safe for concurrent use throughout.
type Sealer struct {
	keys atomic.Pointer[[]*key] // [0] is current
}

// ks returns the keys, the current one first.
func (s *Sealer) ks() []*key { return *s.keys.Load() }

func sealerOf(keys []*key) *Sealer {
	s := &Sealer{}
	s.keys.Store(&keys)
	return s
}

// Adopt makes s hold o's keys from now on: a serving node whose key file
// gained the key of a rotation begun meanwhile takes it up without a
// restart, and every part holding s sees the change at once.
func (s *Sealer) Adopt(o *Sealer) { s.keys.Store(o.keys.Load()) }

// key is what one master key derives.
type key struct {
	id      string  // KeyID: the first 8 hex digits of check
	tag     [4]byte // id as bytes, in every value sealed with the key
	aead    cipher.AEAD
	hashKey []byte
	check   string // CheckValue
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

// NewKey returns a fresh random master key in the form ParseKey reads.
func NewKey() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate data key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// New returns a sealer whose current key is master. previous are earlier
// keys, given while a key rotation is under way: values sealed with them
// still open, and persons whose hashes were computed with them are still
// found (Hashes).
func New(master []byte, previous ...[]byte) (*Sealer, error) {
	var keys []*key
	for i, m := range append([][]byte{master}, previous...) {
		k, err := derive(m)
		if err != nil {
			return nil, err
		}
		for _, o := range keys {
			if o.id == k.id {
				return nil, fmt.Errorf("pii: key %d is key %s again", i+1, k.id)
			}
		}
		keys = append(keys, k)
	}
	return sealerOf(keys), nil
}

// derive derives the encryption, hashing and check keys from master with
// HKDF, so that no two uses share key material.
func derive(master []byte) (*key, error) {
	if len(master) < MinKeyLen {
		return nil, fmt.Errorf("pii: master key has %d bytes, need at least %d", len(master), MinKeyLen)
	}
	sub := func(info string) ([]byte, error) {
		b := make([]byte, 32)
		if _, err := hkdf.New(sha256.New, master, nil, []byte(info)).Read(b); err != nil {
			return nil, fmt.Errorf("pii: derive %s: %w", info, err)
		}
		return b, nil
	}
	encKey, err := sub("xinyong pii enc v1")
	if err != nil {
		return nil, err
	}
	hashKey, err := sub("xinyong pii hash v1")
	if err != nil {
		return nil, err
	}
	checkKey, err := sub("xinyong pii check v1")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	m := hmac.New(sha256.New, checkKey)
	m.Write([]byte(checkLabel))
	sum := m.Sum(nil)
	k := &key{aead: aead, hashKey: hashKey, check: hex.EncodeToString(sum)}
	copy(k.tag[:], sum)
	k.id = k.check[:8]
	return k, nil
}

// checkLabel is what a key's check value authenticates.
const checkLabel = "xinyong data key check v1"

// KeyID names the current key: 8 hex digits of its check value, shown in
// messages and carried in every value sealed with it. It says nothing of
// the key.
func (s *Sealer) KeyID() string { return s.ks()[0].id }

// CheckValue is the current key's check value: an HMAC-SHA256 of a fixed
// label under a key derived from it, hex encoded. The store keeps it so
// that a node given another key refuses to start; it reveals nothing of
// the key.
func (s *Sealer) CheckValue() string { return s.ks()[0].check }

// KeyIDs names every key the sealer holds, the current one first.
func (s *Sealer) KeyIDs() []string {
	ks := s.ks()
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.id
	}
	return out
}

// CheckValueOf returns the check value of the key the sealer holds under
// id, or "".
func (s *Sealer) CheckValueOf(id string) string {
	if k := s.byID(id); k != nil {
		return k.check
	}
	return ""
}

// Keep returns a sealer with only the keys named (in the sealer's own
// order), or nil if it holds none of them. The first kept becomes current.
func (s *Sealer) Keep(ids ...string) *Sealer {
	var keys []*key
	for _, k := range s.ks() {
		for _, id := range ids {
			if k.id == id {
				keys = append(keys, k)
				break
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	return sealerOf(keys)
}

func (s *Sealer) byID(id string) *key {
	for _, k := range s.ks() {
		if k.id == id {
			return k
		}
	}
	return nil
}

// normalise makes equal ID numbers hash equally whatever case or spacing
// a department used.
func normalise(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// Hash returns the keyed lookup hash of an ID number under the current
// key, hex encoded: what is stored with a new value.
func (s *Sealer) Hash(id string) string { return s.ks()[0].hash(normalise(id)) }

// Hashes returns the ID number's hash under every key the sealer holds,
// the current one first: a look-up must try them all, since during a key
// rotation a stored hash may still be the previous key's.
func (s *Sealer) Hashes(id string) []string {
	id = normalise(id)
	ks := s.ks()
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.hash(id)
	}
	return out
}

func (k *key) hash(normalised string) string {
	m := hmac.New(sha256.New, k.hashKey)
	m.Write([]byte(normalised))
	return hex.EncodeToString(m.Sum(nil))
}

// A sealed value is header || nonce || ciphertext, where the header is a
// version byte and the sealing key's tag, and is authenticated with the
// ciphertext. Values sealed before keys were named have no header: nonce
// || ciphertext, opened by trying each key.
const (
	version    = 0xA1
	headerLen  = 1 + 4
	legacyName = "" // KeyOf of a value without a header
)

// Seal encrypts an ID number with the current key.
func (s *Sealer) Seal(id string) ([]byte, error) { return s.seal([]byte(normalise(id))) }

// seal encrypts bytes with the current key.
func (s *Sealer) seal(b []byte) ([]byte, error) {
	k := s.ks()[0]
	n := k.aead.NonceSize()
	out := make([]byte, headerLen+n, headerLen+n+len(b)+k.aead.Overhead())
	out[0] = version
	copy(out[1:headerLen], k.tag[:])
	if _, err := rand.Read(out[headerLen:]); err != nil {
		return nil, fmt.Errorf("pii: nonce: %w", err)
	}
	return k.aead.Seal(out, out[headerLen:], b, out[:headerLen]), nil
}

// KeyOf returns the ID of the key a value was sealed with, as written in
// it, or "" for a value sealed before keys were named (one in 256 of
// those, whose random nonce begins with the version byte, seems to name
// some key: Open still opens it, and a rotation re-seals it).
func KeyOf(sealed []byte) string {
	if len(sealed) < headerLen+12+16 || sealed[0] != version {
		return legacyName
	}
	return hex.EncodeToString(sealed[1:headerLen])
}

// Open decrypts what Seal produced, with the key the value names; a value
// from before keys were named is tried with each key.
func (s *Sealer) Open(sealed []byte) (string, error) {
	if id := KeyOf(sealed); id != legacyName {
		if k := s.byID(id); k != nil {
			n := k.aead.NonceSize()
			if pt, err := k.aead.Open(nil, sealed[headerLen:headerLen+n], sealed[headerLen+n:], sealed[:headerLen]); err == nil {
				return string(pt), nil
			}
		}
	}
	for _, k := range s.ks() {
		n := k.aead.NonceSize()
		if len(sealed) < n {
			return "", errors.New("pii: sealed value too short")
		}
		if pt, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil); err == nil {
			return string(pt), nil
		}
	}
	if id := KeyOf(sealed); id != legacyName && s.byID(id) == nil {
		return "", fmt.Errorf("pii: cannot decrypt: wrong data key: the value is sealed with key %s and this node holds %s", id, strings.Join(s.KeyIDs(), ", "))
	}
	return "", errors.New("pii: cannot decrypt: wrong data key or corrupted value")
}

// SealedWith reports whether a value is sealed with the current key (and
// so needs no re-sealing in a rotation to it).
func (s *Sealer) SealedWith(sealed []byte) bool { return KeyOf(sealed) == s.ks()[0].id }
