package sqlstore

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

func TestFieldsJSONMatchesEncodingJSON(t *testing.T) {
	cases := []credit.Fields{
		nil,
		{},
		{"cf_nr": "罚款人民币五千元", "a": "<b>&'x'", "z": "line\nbreak\ttab\r\"quoted\" \\ back"},
		{"ctl": "\x00\x01\x1f\b\f", "bad": "a\xffb\xc3", "sep": "x\u2028y\u2029z", "emoji": "😀"},
	}
	for _, f := range cases {
		want, err := jsonText(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(appendFieldsJSON(nil, f)); got != want {
			t.Errorf("appendFieldsJSON(%q) =\n %s\nwant\n %s", f, got, want)
		}
	}
}

func FuzzFieldsJSON(f *testing.F) {
	f.Add("k", "v\u2028\x00\xff")
	f.Fuzz(func(t *testing.T, k, v string) {
		fs := credit.Fields{k: v, "x": k}
		want, _ := jsonText(fs)
		if got := string(appendFieldsJSON(nil, fs)); got != want {
			t.Errorf("%q: got %s want %s", fs, got, want)
		}
	})
}

// TestDecodeFields: the fast decoder gives what encoding/json gives, for
// what appendFieldsJSON writes and for PostgreSQL's spaced jsonb text.
func TestDecodeFields(t *testing.T) {
	cases := []credit.Fields{nil, {}, {"a": "b"}, {"cf_cflb": "罚款", "cf_nr": "罚款人民币\"5\"万元", "x": ""}, {"k": "line\nbreak\u2028"}, {"e": "a\\b", "f": "{\"x\":1}"}}
	for _, f := range cases {
		for _, b := range [][]byte{appendFieldsJSON(nil, f), []byte(strings.ReplaceAll(strings.ReplaceAll(string(appendFieldsJSON(nil, f)), `":"`, `": "`), `","`, `", "`))} {
			got, err := decodeFields(b)
			var want credit.Fields
			werr := json.Unmarshal(b, &want)
			if (err == nil) != (werr == nil) || !maps.Equal(got, want) {
				t.Errorf("%s: got %v %v, want %v %v", b, got, err, want, werr)
			}
		}
	}
	for _, bad := range []string{`{"a":1}`, `{"a":"b"`, `[]`, `{"a" "b"}`} {
		got, err := decodeFields([]byte(bad))
		var want credit.Fields
		werr := json.Unmarshal([]byte(bad), &want)
		if (err == nil) != (werr == nil) || !maps.Equal(got, want) {
			t.Errorf("%s: got %v %v, want %v %v", bad, got, err, want, werr)
		}
	}
}
