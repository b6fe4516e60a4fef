package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestReplaceAndDiff: a new measure list with one measure changed and one
// added is checked with the rest of the catalogue, diffed by code and
// loaded; one with a dangling reference is refused with the reason.
func TestReplaceAndDiff(t *testing.T) {
	base, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	old := base.Raw("measures.json")
	var doc map[string]any
	if err := json.Unmarshal(old, &doc); err != nil {
		t.Fatal(err)
	}
	ms := doc["measures"].([]any)
	first := ms[0].(map[string]any)
	code := first["code"].(string)
	first["name"] = first["name"].(string) + "（修订）"
	added := map[string]any{}
	for k, v := range first {
		added[k] = v
	}
	added["code"] = "restrict_new_measure"
	doc["measures"] = append(ms, added)
	doc["version"] = "2026.1"
	data, _ := json.MarshalIndent(doc, "", "  ")

	cat, err := Replace(base, "measures.json", data)
	if err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if _, err := cat.Measure("restrict_new_measure"); err != nil {
		t.Errorf("the new measure is not in the new catalogue: %v", err)
	}
	if _, err := base.Measure("restrict_new_measure"); err == nil {
		t.Error("the catalogue in force changed")
	}
	if cat.Versions["measures.json"] != "2026.1" || cat.Sources["measures.json"] != "upload" || !bytes.Equal(cat.Raw("items.json"), base.Raw("items.json")) {
		t.Errorf("versions %v sources %v", cat.Versions, cat.Sources)
	}
	changes, err := Diff(old, data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": "changed", code: "changed", "restrict_new_measure": "added"}
	if len(changes) != len(want) {
		t.Fatalf("changes %+v", changes)
	}
	for _, c := range changes {
		if want[c.Code] != c.Op {
			t.Errorf("change %+v", c)
		}
		if c.Code == code && (len(c.Fields) != 1 || c.Fields[0] != "name" || c.List != "measures") {
			t.Errorf("changed measure: %+v", c)
		}
	}

	// A measure triggered by a list that does not exist is refused.
	added["triggered_by"] = []string{"no_such_list"}
	bad, _ := json.Marshal(doc)
	_, err = Replace(base, "measures.json", bad)
	if !credit.Is(credit.Invalid, err) || !strings.Contains(err.Error(), "no_such_list") {
		t.Errorf("dangling list: %v", err)
	}
	if _, err := Overlay(base, map[string][]byte{"other.json": data}, "upload"); !credit.Is(credit.Invalid, err) {
		t.Errorf("unknown file: %v", err)
	}
}

// The fingerprint follows the files: the same files give the same one,
// any change to one of them another.
func TestFingerprint(t *testing.T) {
	base, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Fingerprint()) != 64 {
		t.Fatalf("fingerprint %q", base.Fingerprint())
	}
	same, err := Replace(base, "measures.json", base.Raw("measures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if same.Fingerprint() != base.Fingerprint() {
		t.Fatal("the same files, another fingerprint")
	}
	for _, name := range Files() {
		data := append([]byte(nil), base.Raw(name)...)
		data = append(data, '\n') // the same content, another file
		c, err := Replace(base, name, data)
		if err != nil {
			t.Fatal(err)
		}
		if c.Fingerprint() == base.Fingerprint() {
			t.Errorf("%s changed, the fingerprint did not", name)
		}
	}
}
