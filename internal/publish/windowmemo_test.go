package publish

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

func TestWindowMemo(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	day := func() time.Time {
		if r.IntN(4) == 0 {
			return time.Time{}
		}
		return time.Date(1990+r.IntN(120), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, chinatime.Location)
	}
	sevs := []credit.Severity{credit.SeverityNone, "轻微", "一般", "较重", "严重"}
	for n := range 2000 {
		w := Window{Severity: sevs[r.IntN(len(sevs))], Domain: []string{"", "default", "market_regulation", "税务"}[r.IntN(4)],
			Published: r.IntN(2) == 0, From: day(), MinEnd: day(), MaxEnd: day(), PersonDishonest: r.IntN(3) == 0}
		b := AppendWindow([]byte{0xff}, w) // appends after what is there
		got, ok := ParseWindow(string(b[1:]))
		if !ok || !reflect.DeepEqual(got, w) {
			t.Fatalf("window %d: %+v read back as %+v (%v)", n, w, got, ok)
		}
		for cut := range len(b) - 1 {
			if _, ok := ParseWindow(string(b[1 : 1+cut])); ok {
				t.Fatalf("window %d cut at %d of %d: read", n, cut, len(b)-1)
			}
		}
		if _, ok := ParseWindow(string(b[1:]) + "x"); ok {
			t.Fatalf("window %d with a byte more: read", n)
		}
	}
	if _, ok := ParseWindow("\xff"); ok {
		t.Fatal("unknown flags read")
	}
}
