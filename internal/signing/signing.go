// Package signing holds the platform's Ed25519 signing keys: the key that
// signs credit reports and the transparency log's checkpoints, the public
// halves of every key that ever signed (published at
// /.well-known/xinyong-keys.json, so that anyone can verify offline), and
// the form of the published key set.
//
// Keys rotate: a new key signs from its first day; older keys are kept in
// the set and keep verifying what they signed. The private half never
// enters the database (app keeps it in a key file or the configuration,
// as it does the data key).
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/xinyong/xinyong/internal/credit"
)

// Key is a signing key: its private half and its ID.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// Public is the key's public half.
func (k *Key) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// NewKey generates a key and returns it in configuration form (the
// 32-byte seed in standard base64).
func NewKey() (string, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(seed), nil
}

// ParseKey reads a key in configuration form.
func ParseKey(s string) (*Key, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("a signing key is 32 bytes in standard base64 (generate one with `openssl rand -base64 32`)")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Key{ID: KeyID(priv.Public().(ed25519.PublicKey)), Private: priv}, nil
}

// Sign signs msg.
func (k *Key) Sign(msg []byte) []byte { return ed25519.Sign(k.Private, msg) }

// NoteSigner is the key as a signer of C2SP signed notes (log
// checkpoints) under the name origin.
func (k *Key) NoteSigner(origin string) (note.Signer, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, k.Public())
	if err != nil {
		return nil, err
	}
	// The signer key's form: PRIVATE+KEY+name+hash+base64(1 || seed),
	// 1 being Ed25519 as the note format numbers algorithms; the hash is
	// the verifier key's.
	hash := vkey[len(origin)+1 : len(origin)+9]
	priv := append([]byte{1}, k.Private.Seed()...)
	return note.NewSigner(fmt.Sprintf("PRIVATE+KEY+%s+%s+%s", origin, hash, base64.StdEncoding.EncodeToString(priv)))
}

// Record is the public half of a key as the store and the key set keep it.
func (k *Key) Record(now time.Time) credit.SigningKey {
	return credit.SigningKey{ID: k.ID, Public: k.Public(), Created: now}
}

// PublishedKey is one key of the published key set.
type PublishedKey struct {
	ID        string    `json:"id"`
	Algorithm string    `json:"algorithm"`
	PublicKey string    `json:"public_key"` // standard base64
	Created   time.Time `json:"created_at"`
	Retired   time.Time `json:"retired_at,omitzero"`
	// NoteVerifier is the key as a verifier of the log's checkpoints
	// (C2SP signed-note verifier key: origin+hash+base64).
	NoteVerifier string `json:"note_verifier"`
}

// KeySet is the published key set (/.well-known/xinyong-keys.json): the
// issuing platform, its log's origin, and every key that ever signed.
type KeySet struct {
	Issuer    string         `json:"issuer"`
	IssuerEn  string         `json:"issuer_en,omitempty"`
	LogOrigin string         `json:"log_origin"`
	Keys      []PublishedKey `json:"keys"`
}

// NewKeySet builds the published set from the store's keys.
func NewKeySet(issuer, issuerEn, origin string, keys []credit.SigningKey) (*KeySet, error) {
	ks := &KeySet{Issuer: issuer, IssuerEn: issuerEn, LogOrigin: origin, Keys: []PublishedKey{}}
	for _, k := range keys {
		if len(k.Public) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("signing key %s: not an Ed25519 public key", k.ID)
		}
		vk, err := note.NewEd25519VerifierKey(origin, ed25519.PublicKey(k.Public))
		if err != nil {
			return nil, err
		}
		ks.Keys = append(ks.Keys, PublishedKey{ID: k.ID, Algorithm: "ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Public),
			Created: k.Created, Retired: k.Retired, NoteVerifier: vk})
	}
	return ks, nil
}

// ParseKeySet reads a published key set and checks that each key's ID and
// verifier key agree with its public key.
func ParseKeySet(b []byte) (*KeySet, error) {
	var ks KeySet
	if err := json.Unmarshal(b, &ks); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	if len(ks.Keys) == 0 {
		return nil, errors.New("key set: no keys")
	}
	for _, k := range ks.Keys {
		pub, err := k.public()
		if err != nil {
			return nil, err
		}
		if KeyID(pub) != k.ID {
			return nil, fmt.Errorf("key set: key %s: its ID is not the hash of its public key (%s)", k.ID, KeyID(pub))
		}
		if vk, _ := note.NewEd25519VerifierKey(ks.LogOrigin, pub); vk != k.NoteVerifier {
			return nil, fmt.Errorf("key set: key %s: its note verifier %q is not the key's under the log origin %q", k.ID, k.NoteVerifier, ks.LogOrigin)
		}
	}
	return &ks, nil
}

func (k PublishedKey) public() (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(k.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize || k.Algorithm != "ed25519" {
		return nil, fmt.Errorf("key set: key %s: not an Ed25519 public key in base64", k.ID)
	}
	return ed25519.PublicKey(b), nil
}

// Public returns the public key with id.
func (ks *KeySet) Public(id string) (ed25519.PublicKey, bool) {
	i := slices.IndexFunc(ks.Keys, func(k PublishedKey) bool { return k.ID == id })
	if i < 0 {
		return nil, false
	}
	pub, err := ks.Keys[i].public()
	return pub, err == nil
}

// Verifiers are the set's keys as note verifiers of the log's checkpoints.
func (ks *KeySet) Verifiers() (note.Verifiers, error) {
	var vs []note.Verifier
	for _, k := range ks.Keys {
		v, err := note.NewVerifier(k.NoteVerifier)
		if err != nil {
			return nil, fmt.Errorf("key set: key %s: %w", k.ID, err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}

// IDs lists the set's key IDs.
func (ks *KeySet) IDs() []string {
	out := make([]string, len(ks.Keys))
	for i, k := range ks.Keys {
		out[i] = k.ID
	}
	return out
}
