package commit_test

import (
	"fmt"
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
)

// BenchmarkEligibility answers the 容缺受理 question for a subject with a
// credit file of 200 penalties, each weighed by the publication engine
// with its marks, against the list service's entries, keeping each
// answer: what a counter waits for.
func BenchmarkEligibility(b *testing.B) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		b.Run(backend, func(b *testing.B) {
			f := newFixture(b, backend)
			name := "福州基准测试有限公司"
			subj := f.org(name, '1')
			for i := range 200 {
				f.penalty(subj, name, fmt.Sprintf("榕发改罚〔2026〕%d号", 1000+i), "罚款", 30+i%200)
			}
			for b.Loop() {
				a, err := f.svc.Eligibility(f.ctx, counter, subj, "licence_approval")
				if err != nil || !a.Eligible {
					b.Fatalf("%+v %v", a, err)
				}
			}
		})
	}
}
