package pii

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/uscc"
)

// A record field that the catalogue marks personal (an ID number of a
// natural person: the subject's, a legal representative's) is stored
// sealed, in one string that keeps the record's fields a plain map:
//
//	PII1|<masked>|<keyed hash>|<sealed, base64url>
//
// The masked form is what every audience not entitled to the number sees,
// without opening anything; the keyed hash lets the record's content hash
// compare a resent document with the stored one, and lets a key rotation
// find the rows to re-seal; the sealed number opens for the roles entitled
// to it. A value in this form cannot be an identifier as sent ("|" is in
// none), so the form is told by its prefix.
const fieldPrefix = "PII1|"

// IsSealedField reports whether a field value is in the sealed form.
func IsSealedField(v string) bool { return strings.HasPrefix(v, fieldPrefix) }

// SealField seals a personal field's value with the current key. An empty
// value stays empty; a value already sealed is returned as it is.
func (s *Sealer) SealField(clear string) (string, error) {
	clear = normalise(clear)
	if clear == "" || IsSealedField(clear) {
		return clear, nil
	}
	sealed, err := s.Seal(clear)
	if err != nil {
		return "", err
	}
	return fieldPrefix + MaskIdentifier(clear) + "|" + s.Hash(clear) + "|" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// parts splits a sealed field value into masked form, hash and cipher.
func parts(v string) (masked, hash string, sealed []byte, err error) {
	p := strings.Split(strings.TrimPrefix(v, fieldPrefix), "|")
	if !IsSealedField(v) || len(p) != 3 {
		return "", "", nil, fmt.Errorf("pii: not a sealed field value")
	}
	sealed, err = base64.RawURLEncoding.DecodeString(p[2])
	if err != nil {
		return "", "", nil, fmt.Errorf("pii: sealed field value: %w", err)
	}
	return p[0], p[1], sealed, nil
}

// OpenField opens a sealed field value; a value not in the sealed form is
// returned as it is.
func (s *Sealer) OpenField(v string) (string, error) {
	if !IsSealedField(v) {
		return v, nil
	}
	_, _, sealed, err := parts(v)
	if err != nil {
		return "", err
	}
	return s.Open(sealed)
}

// MaskedField is what a sealed field value shows to an audience not
// entitled to the number; a value not in the sealed form is masked here.
func MaskedField(v string) string {
	if !IsSealedField(v) {
		return MaskIdentifier(v)
	}
	masked, _, _, err := parts(v)
	if err != nil {
		return "***"
	}
	return masked
}

// FieldHash is the keyed hash a sealed field value carries ("" for a value
// not in the sealed form).
func FieldHash(v string) string {
	_, hash, _, err := parts(v)
	if err != nil {
		return ""
	}
	return hash
}

// FieldSealedWith reports whether a sealed field value is sealed with the
// current key.
func (s *Sealer) FieldSealedWith(v string) bool {
	_, _, sealed, err := parts(v)
	return err == nil && s.SealedWith(sealed)
}

// LooksLikeIDNumber reports whether v has the shape of a resident ID
// number (15 digits, or 17 digits and a digit or X), whatever its check
// digit: a value that may be a person's number, and is masked wherever it
// would be repeated.
func LooksLikeIDNumber(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) != 15 && len(v) != 18 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= '0' && c <= '9' || (i == 17 && (c == 'X' || c == 'x')) {
			continue
		}
		return false
	}
	return true
}

// Says is credit.Says for a reason that repeats values a department sent
// (a refused row, a refused code): one of them may be a person's ID number
// typed in the wrong column, and reasons are kept and shown in clear, so
// every argument shaped like one is masked. A reason given in English only
// is its own Chinese.
func Says(zh, en string, args ...any) *credit.Text {
	for i, a := range args {
		if s, ok := a.(string); ok && LooksLikeIDNumber(s) {
			args[i] = MaskIdentifier(s)
		}
	}
	t := credit.Says(zh, en, args...)
	if t.Zh == "" {
		t.Zh = t.En
	}
	return t
}

// MaskIdentifier masks an identifier for display: an ID number keeps its
// region and its last four characters (350102********1234); a shorter
// identifier (a passport) keeps its first and last character.
func MaskIdentifier(v string) string {
	v = strings.TrimSpace(v)
	if n := len([]rune(v)); n > 10 {
		return uscc.MaskResidentID(v)
	} else if n > 2 {
		rs := []rune(v)
		return string(rs[0]) + strings.Repeat("*", n-2) + string(rs[n-1])
	}
	return strings.Repeat("*", len([]rune(v)))
}

// A blob (a rejected row's cells, which may hold ID numbers anywhere) is
// sealed as a whole:
//
//	PIIB1|<sealed, base64url>
const blobPrefix = "PIIB1|"

// IsSealedBlob reports whether a stored value is a sealed blob.
func IsSealedBlob(v string) bool { return strings.HasPrefix(v, blobPrefix) }

// SealBlob seals b with the current key.
func (s *Sealer) SealBlob(b []byte) (string, error) {
	sealed, err := s.seal(b)
	if err != nil {
		return "", err
	}
	return blobPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// OpenBlob opens what SealBlob made.
func (s *Sealer) OpenBlob(v string) ([]byte, error) {
	if !IsSealedBlob(v) {
		return nil, fmt.Errorf("pii: not a sealed blob")
	}
	sealed, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, blobPrefix))
	if err != nil {
		return nil, fmt.Errorf("pii: sealed blob: %w", err)
	}
	clear, err := s.Open(sealed)
	return []byte(clear), err
}

// BlobSealedWith reports whether a sealed blob is sealed with the current
// key.
func (s *Sealer) BlobSealedWith(v string) bool {
	sealed, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v, blobPrefix))
	return err == nil && IsSealedBlob(v) && s.SealedWith(sealed)
}
