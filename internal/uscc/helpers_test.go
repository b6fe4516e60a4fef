package uscc

import (
	"slices"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
)

// fixUSCC completes prefix (8 characters) and body (8 characters) with the
// correct GB 11714 digit and GB 32100 character wherever they are defined,
// so that a test can plant exactly one fault and expect exactly one problem.
func fixUSCC(prefix, body string) string {
	oc, ok := orgCheckChar(body)
	if !ok {
		oc = '0'
	}
	s := prefix + body + string(oc)
	cc, ok := usccCheckChar(s)
	if !ok {
		cc = '0'
	}
	return s + string(cc)
}

// fixID appends the GB 11643 check character to 17 digits.
func fixID(s17 string) string { return s17 + string(idCheckChar(s17)) }

// fixedNow is the clock used wherever a test depends on "today".
var fixedNow = time.Date(2025, 6, 15, 12, 0, 0, 0, chinatime.Location)

func fixedChecker(l *Legacy) *Checker {
	return NewChecker(l, func() time.Time { return fixedNow })
}

type kindPos struct {
	Kind ProblemKind
	Pos  int
}

func kindsOf(ps []Problem) []kindPos {
	out := make([]kindPos, 0, len(ps))
	for _, p := range ps {
		out = append(out, kindPos{p.Kind, p.Pos})
	}
	return out
}

func assertKinds(t *testing.T, r Result, want []kindPos) {
	t.Helper()
	if got := kindsOf(r.Problems); !slices.Equal(got, want) {
		t.Errorf("%q: problems %v, want %v\n  reason: %s", r.Code, got, want, r.Reason())
	}
}
