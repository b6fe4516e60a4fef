package pii

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/uscc"
)

func testKey() []byte { return bytes.Repeat([]byte{7}, 32) }

func TestSealOpenRoundTrip(t *testing.T) {
	s, err := New(testKey())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal("11010119900307123x")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("110101")) {
		t.Fatal("sealed value contains the clear ID prefix")
	}
	got, err := s.Open(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got != "11010119900307123X" {
		t.Fatalf("Open = %q, want normalised upper-case ID", got)
	}
	again, _ := s.Seal("11010119900307123X")
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same ID are equal: nonce not random")
	}
}

func TestHashKeyedAndNormalised(t *testing.T) {
	a, _ := New(testKey())
	b, _ := New(bytes.Repeat([]byte{8}, 32))
	if a.Hash(" 11010119900307123x") != a.Hash("11010119900307123X") {
		t.Fatal("hash not normalised")
	}
	if a.Hash("11010119900307123X") == b.Hash("11010119900307123X") {
		t.Fatal("hash does not depend on the key")
	}
}

func TestOpenWithWrongKeyFails(t *testing.T) {
	a, _ := New(testKey())
	b, _ := New(bytes.Repeat([]byte{8}, 32))
	sealed, _ := a.Seal("110101199003071234")
	if _, err := b.Open(sealed); err == nil || !strings.Contains(err.Error(), "wrong data key") {
		t.Fatalf("Open with wrong key: err = %v", err)
	}
}

func TestParseKey(t *testing.T) {
	cases := []struct {
		in     string
		wantOK bool
	}{
		{"", false},
		{"c2hvcnQ=", false}, // 5 bytes
		{strings.Repeat("ab", 32), true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true},
		{"not a key at all!!", false},
	}
	for _, c := range cases {
		_, err := ParseKey(c.in)
		if (err == nil) != c.wantOK {
			t.Errorf("ParseKey(%q) err = %v, want ok=%v", c.in, err, c.wantOK)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseKey(%q) error spans lines: %q", c.in, err)
		}
	}
}

// legacySeal seals the way values were sealed before keys were named:
// nonce || ciphertext, no header.
func legacySeal(t *testing.T, s *Sealer, id string) []byte {
	t.Helper()
	k := s.ks()[0]
	nonce := bytes.Repeat([]byte{0xA1}, k.aead.NonceSize()) // even a nonce that starts like a header
	return k.aead.Seal(nonce, nonce, []byte(normalise(id)), nil)
}

func TestKeysNamedAndChecked(t *testing.T) {
	a, _ := New(testKey())
	a2, _ := New(testKey())
	b, _ := New(bytes.Repeat([]byte{8}, 32))
	if a.KeyID() != a2.KeyID() || a.CheckValue() != a2.CheckValue() {
		t.Fatal("the same key gives different IDs or check values")
	}
	if a.KeyID() == b.KeyID() || a.CheckValue() == b.CheckValue() {
		t.Fatal("two keys share an ID or a check value")
	}
	if len(a.KeyID()) != 8 || len(a.CheckValue()) != 64 || !strings.HasPrefix(a.CheckValue(), a.KeyID()) {
		t.Fatalf("KeyID %q, CheckValue %q", a.KeyID(), a.CheckValue())
	}
	// The check value is not the key, nor the hash key, nor a hash of an ID.
	for _, k := range [][]byte{testKey(), a.ks()[0].hashKey} {
		if strings.Contains(a.CheckValue(), hex.EncodeToString(k)) {
			t.Fatal("the check value holds key material")
		}
	}
	sealed, _ := a.Seal("110101199003071234")
	if KeyOf(sealed) != a.KeyID() || !a.SealedWith(sealed) || b.SealedWith(sealed) {
		t.Fatalf("KeyOf = %q, want %q", KeyOf(sealed), a.KeyID())
	}
	if _, err := b.Open(sealed); err == nil || !strings.Contains(err.Error(), a.KeyID()) {
		t.Fatalf("Open with another key: %v, want the message to name key %s", err, a.KeyID())
	}
	// The header is authenticated: a value relabelled with another key's
	// tag does not open.
	forged := append([]byte(nil), sealed...)
	copy(forged[1:5], b.ks()[0].tag[:])
	if _, err := a.Open(forged); err == nil {
		t.Fatal("a relabelled value opened")
	}
}

func TestRotationSealer(t *testing.T) {
	old, _ := New(testKey())
	cur, _ := New(bytes.Repeat([]byte{8}, 32))
	both, err := New(bytes.Repeat([]byte{8}, 32), testKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(testKey(), testKey()); err == nil {
		t.Fatal("the same key twice is accepted")
	}
	const id = "11010119900307123X"
	if both.KeyID() != cur.KeyID() || strings.Join(both.KeyIDs(), ",") != cur.KeyID()+","+old.KeyID() {
		t.Fatalf("KeyIDs %v", both.KeyIDs())
	}
	// Seals and hashes with the current key; opens and finds either.
	s, _ := both.Seal(id)
	if KeyOf(s) != cur.KeyID() {
		t.Fatal("sealed with the previous key")
	}
	if both.Hash(id) != cur.Hash(id) {
		t.Fatal("hashed with the previous key")
	}
	if hs := both.Hashes(id); len(hs) != 2 || hs[0] != cur.Hash(id) || hs[1] != old.Hash(id) {
		t.Fatalf("Hashes = %v", hs)
	}
	for name, v := range map[string][]byte{"old": mustSeal(t, old, id), "current": s, "legacy old": legacySeal(t, old, id), "legacy current": legacySeal(t, cur, id)} {
		got, err := both.Open(v)
		if err != nil || got != id {
			t.Errorf("%s: Open = %q, %v", name, got, err)
		}
	}
	if got, err := old.Open(legacySeal(t, old, id)); err != nil || got != id {
		t.Errorf("legacy value with its own key: %q %v", got, err)
	}
	if l := legacySeal(t, old, id); KeyOf(append([]byte{0}, l[1:]...)) != "" {
		t.Error("a legacy value names a key")
	}
	if k := both.Keep(old.KeyID()); k == nil || k.KeyID() != old.KeyID() || len(k.KeyIDs()) != 1 {
		t.Errorf("Keep(old) = %v", k)
	}
	if both.Keep("00000000") != nil {
		t.Error("Keep of an unknown key")
	}
	if both.CheckValueOf(old.KeyID()) != old.CheckValue() || both.CheckValueOf("x") != "" {
		t.Error("CheckValueOf")
	}
}

func mustSeal(t *testing.T, s *Sealer, id string) []byte {
	t.Helper()
	v, err := s.Seal(id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRecover(t *testing.T) {
	old, _ := New(testKey())
	both, _ := New(bytes.Repeat([]byte{8}, 32), testKey())
	for _, c := range []struct{ id, masked string }{
		{"11010519491231002X", "110105********002X"},
		{"110105200002290011", "110105********0011"}, // check digit made right below
		{"110105491231002", "110105*****1002"},
	} {
		id := c.id
		if len(id) == 18 {
			id = id[:17] + string(uscc.ResidentIDCheckChar(id))
			c.masked = c.masked[:17] + id[17:]
		}
		got, ok := both.Recover(c.masked, old.Hash(id))
		if !ok || got != id {
			t.Errorf("Recover(%q) = %q, %v; want %q", c.masked, got, ok, id)
		}
	}
	if _, ok := both.Recover("110105********002X", strings.Repeat("0", 64)); ok {
		t.Error("recovered a number from a hash that matches none")
	}
	if _, ok := both.Recover("******************", old.Hash("11010519491231002X")); ok {
		t.Error("recovered from a mask that keeps nothing")
	}
}
