package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/ingest"
)

// rejectCapFile writes a penalty file of rows rows, every other one
// rejected (a decision date in the future), and returns its path and the
// numbers of the rejected rows in file order.
func rejectCapFile(t *testing.T, rows int) (string, []int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("cf_xdr_mc,cf_xdr_lb,cf_xdr_shxym,cf_frdb,cf_wsh,cf_wfxw,cf_sy,cf_yj,cf_cflb,cf_nr,cf_nr_fk,cf_jdrq,cf_cfjg,cf_cfjgdm,cf_sjly,cf_sjlydm\n")
	var bad []int
	for n := 1; n <= rows; n++ {
		date := "2026-11-20"
		if n%2 == 0 {
			date, bad = "2030-01-01", append(bad, n)
		}
		b.WriteString("福州恒泰电子科技有限公司,法人及非法人组织,91350102703087552Q,王伟,榕罚〔2026〕" + strconv.Itoa(n) +
			"号,虚假宣传,发布虚假广告,《中华人民共和国广告法》第五十五条,罚款,罚款,1," + date +
			",福州市市场监督管理局,113501007985494996,福州市市场监督管理局,113501007985494996\n")
	}
	p := filepath.Join(t.TempDir(), "junk.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, bad
}

// TestRejectCap: past MaxRejectRows a batch's rejected rows are counted
// but not stored, in one run and across a resumed run; the stored ones
// are the first in file order.
func TestRejectCap(t *testing.T) {
	const rows, maxRejects = 500, 30
	p, bad := rejectCapFile(t, rows)
	for _, resume := range []bool{false, true} {
		t.Run(map[bool]string{false: "one run", true: "resumed"}[resume], func(t *testing.T) {
			st := openSQLite(t)
			im := newImporter(t, st)
			im.MaxRejectRows = maxRejects
			req := fileRequest(p, "SAMR-350100", "admin_penalty")
			if resume {
				// Interrupt after the first chunk (50 rejected rows: past
				// the cap already), then send the file again.
				ctx, cancel := context.WithCancel(t.Context())
				im.Progress = func(ingest.Progress) { cancel() }
				if _, err := im.Import(ctx, req); !errors.Is(err, context.Canceled) {
					t.Fatalf("interrupted import: %v", err)
				}
				im.Progress = nil
			}
			j, err := im.Import(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resume && !j.Resumed {
				t.Fatal("the second import did not resume")
			}
			c := j.Batch.Counts
			if c.Total != rows || c.Rejected != len(bad) || c.RejectedNotKept != len(bad)-maxRejects {
				t.Fatalf("counts %+v: want %d rejected, %d of them not kept", c, len(bad), len(bad)-maxRejects)
			}
			stored, err := st.Batch(t.Context(), j.Batch.ID)
			if err != nil || stored.Counts != c {
				t.Fatalf("stored counts %+v, %v; want %+v", stored.Counts, err, c)
			}
			rs, err := st.Rejects(t.Context(), j.Batch.ID)
			if err != nil {
				t.Fatal(err)
			}
			groups := ingest.GroupRejects(rs)
			if len(groups) != maxRejects {
				t.Fatalf("%d rejected rows stored, want %d", len(groups), maxRejects)
			}
			for i, g := range groups {
				if g.Row != bad[i] {
					t.Fatalf("stored rejected row %d is row %d, want %d", i, g.Row, bad[i])
				}
			}
		})
	}
}
