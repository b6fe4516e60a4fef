package pii

import (
	"bytes"
	"strings"
	"testing"
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
