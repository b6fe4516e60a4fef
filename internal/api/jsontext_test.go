package api

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestJSONText: the body reader refuses what is not Unicode text however
// the reads cut the body, and passes text through unchanged.
func TestJSONText(t *testing.T) {
	cases := []struct {
		name, body string
		bad        bool
		surrogate  bool
		off        int64
	}{
		{"plain", `{"a":"罚款人民币1万元","b":[1,2]}`, false, false, 0},
		{"pair", `{"a":"\ud83d\ude00"}`, false, false, 0},
		{"escaped backslash", `{"a":"\\ud83d"}`, false, false, 0},
		{"escapes", `{"a":"\"\\\/\b\f\n\r\t\u00e9"}`, false, false, 0},
		{"4-byte character", `{"a":"😀"}`, false, false, 0},
		{"latin-1", "{\"a\":\"caf\xe9\"}", true, false, 9},
		{"truncated at the end", "{\"a\":\"\xe4\xba", true, false, 6},
		{"truncated in the middle", "{\"a\":\"\xe4\xba\"}", true, false, 6},
		{"overlong", "{\"a\":\"\xc0\xaf\"}", true, false, 6},
		{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", true, false, 6},
		{"lone high", `{"a":"\ud83dx"}`, true, true, 12},
		{"high then other escape", `{"a":"\ud83d\n"}`, true, true, 13},
		{"high then non-low", `{"a":"\ud83d\u0041"}`, true, true, 17},
		{"lone low", `{"a":"\ude00"}`, true, true, 11},
		{"high at the end", `{"a":"\ud83d`, true, true, 12},
		{"invalid outside strings", "{\"a\":1}\xff", true, false, 7},
	}
	for _, c := range cases {
		for _, split := range []bool{false, true} {
			var r io.Reader = strings.NewReader(c.body)
			if split {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(newJSONText(r))
			var bt *badText
			switch {
			case !c.bad && err != nil:
				t.Errorf("%s (split %v): %v", c.name, split, err)
			case !c.bad && string(got) != c.body:
				t.Errorf("%s (split %v): read %q", c.name, split, got)
			case c.bad && !errors.As(err, &bt):
				t.Errorf("%s (split %v): %v, want refused", c.name, split, err)
			case c.bad && (bt.surrogate != c.surrogate || bt.off != c.off):
				t.Errorf("%s (split %v): %+v, want surrogate %v at %d", c.name, split, *bt, c.surrogate, c.off)
			}
		}
	}
}
