package records_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/records"
)

// contentHashByFormat is ContentHash as first written, field by field
// through fmt: the hashes stored by every earlier import were made this
// way, and a resent unchanged document must hash equal to them.
func contentHashByFormat(r *credit.Record) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", r.SubjectID, r.Item, r.DocNo)
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(r.Fields[k])
		if pii.IsSealedField(v) {
			v = "sealed:" + pii.FieldHash(v)
		}
		fmt.Fprintf(h, "%s=%s\x00", k, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestContentHashUnchangedByItsRewrite(t *testing.T) {
	sealer := newService(t).Sealer
	sealed, err := sealer.SealField("350102199003071234")
	if err != nil {
		t.Fatal(err)
	}
	cases := []*credit.Record{
		{},
		{SubjectID: "s1", Item: "admin_penalty", DocNo: "榕市监罚〔2026〕12号"},
		{SubjectID: "s1", Item: "admin_penalty", DocNo: "D-1", Fields: credit.Fields{
			"cf_wsh": " D-1 ", "cf_xdr_mc": "福州恒泰电子科技有限公司", "cf_nr_fk": "2", "empty": "", "cf_xdr_zjhm": sealed,
			"z=key": "a\x00b", "cf_sy": "经查……\n第二行\t",
		}},
	}
	for i := range 50 { // keys in every order a map may give
		f := credit.Fields{}
		for j := range i % 9 {
			f[fmt.Sprintf("k%02d", (i*7+j*3)%23)] = strings.Repeat("值", j) + fmt.Sprint(i)
		}
		cases = append(cases, &credit.Record{SubjectID: fmt.Sprint("s", i), Item: "honour", DocNo: fmt.Sprint(i), Fields: f})
	}
	for i, r := range cases {
		if got, want := records.ContentHash(r), contentHashByFormat(r); got != want {
			t.Errorf("case %d: ContentHash = %s, as first written %s", i, got, want)
		}
	}
	// And one value worked out apart from Go (SHA-256 of the subject,
	// item and document, each ended by a zero byte), should both ever
	// change together.
	if got := records.ContentHash(cases[1]); got != "7158ace0eba516dff4a99862f34707cff9ab76397ee6a0de26e836f6bcfd1280" {
		t.Errorf("ContentHash of case 1 = %s, not the value pinned", got)
	}
}
