package report_test

import (
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/report"
)

// The floors (issue 16) are measured by `xinyong bench report`, which
// reports p50/p99; these benchmarks are the same operations for go test
// -bench.

func BenchmarkIssueJSON(b *testing.B) {
	f := newFixtureB(b, 50)
	for b.Loop() {
		f.issueB(b, "public_credit")
	}
}

func BenchmarkRenderPDF(b *testing.B) {
	f := newFixtureB(b, 50)
	is := f.issueB(b, "public_credit")
	for b.Loop() {
		if _, err := report.RenderPDF(is.Envelope, f.node.R.SigningKey()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixtureB(b, 50)
	is := f.issueB(b, "public_credit")
	now := f.node.Clock.Now()
	for b.Loop() {
		if _, err := report.Verify(is.Envelope, f.ks, now, nil); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = apptest.SQLite
