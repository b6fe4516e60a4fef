// Package auth decides who is calling: accounts and their passwords, API
// keys for systems, browser sessions, and the audit of reads and refusals.
// It stores only hashes of secrets, so a copy of the database yields no
// usable password, key or session.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams follow the RFC 9106 "second recommended" option scaled to
// one pass: 64 MiB keeps a GPU attack costly while a login stays well under
// a second on a county's single machine.
var DefaultParams = Params{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// LightParams are for tests and demo seeding only: the hash format is the
// same, so a hash made with them still verifies after the defaults return.
var LightParams = Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// HashParams is what HashPassword uses. Tests set it to LightParams so that
// creating a dozen accounts does not allocate a gigabyte.
var HashParams = DefaultParams

// MinPasswordLen is the shortest password accepted, counted in characters
// (runes), so that a Chinese passphrase is not judged by its UTF-8 bytes.
const MinPasswordLen = 10

// maxPasswordLen bounds the work an attacker can make one login cost.
const maxPasswordLen = 1024

// Limits on parameters read back from a stored hash: a corrupted or planted
// row must not make one login allocate gigabytes.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 16
	maxKeyLen  = 128
	maxSaltLen = 64
)

// CheckPassword reports why a new password is not acceptable, or nil.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return credit.Says("密码至少须有%d个字符", "the password must have at least %d characters", MinPasswordLen)
	}
	if len(pw) > maxPasswordLen {
		return credit.Says("密码最多%d字节", "the password must have at most %d bytes", maxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with argon2id and HashParams, returning a PHC
// string: $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>.
func HashPassword(pw string) (string, error) { return HashPasswordWith(pw, HashParams) }

// HashPasswordWith hashes pw with the given parameters.
func HashPasswordWith(pw string, p Params) (string, error) {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.KeyLen == 0 || p.SaltLen == 0 {
		return "", errors.New("auth: argon2id parameters must all be positive")
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string. The comparison
// is constant-time; a malformed hash is an error, not a mismatch, so that a
// broken row shows up in logs instead of as a user who "forgot" a password.
func VerifyPassword(phc, pw string) (bool, error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	if len(pw) > maxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func parsePHC(phc string) (Params, []byte, []byte, error) {
	var p Params
	bad := func(why string) (Params, []byte, []byte, error) {
		return p, nil, nil, fmt.Errorf("auth: malformed password hash: %s", why)
	}
	parts := strings.Split(phc, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" {
		return bad("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm " + parts[1] + " is not argon2id")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return bad("unsupported version " + parts[2])
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil {
		return bad("parameters " + parts[3])
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || threads == 0 || threads > 255 {
		return bad("parameters out of range " + parts[3])
	}
	p.Threads = uint8(threads)
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) == 0 || len(salt) > maxSaltLen {
		return bad("salt")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return bad("hash")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}
