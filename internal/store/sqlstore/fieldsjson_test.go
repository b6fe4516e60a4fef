package sqlstore

import (
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
