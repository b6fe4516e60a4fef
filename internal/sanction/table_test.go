package sanction

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// TestTable runs random puts, deletes, clones and compactions against a
// Go map and checks that every table, including clones taken earlier and
// written past, answers like the map did when it was taken.
func TestTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type frozen struct {
		t     table
		model map[string]string
	}
	tb := newTable()
	model := map[string]string{}
	var olds []frozen
	check := func(tb *table, model map[string]string, when string) {
		t.Helper()
		if tb.len() != len(model) {
			t.Fatalf("%s: len %d, want %d", when, tb.len(), len(model))
		}
		for k, want := range model {
			got, ok := tb.get(k)
			if !ok || string(got) != want {
				t.Fatalf("%s: get(%q) = %q, %v; want %q", when, k, got, ok, want)
			}
		}
		seen := 0
		tb.each(func(k, v []byte) bool {
			seen++
			if model[string(k)] != string(v) {
				t.Fatalf("%s: each gave %q=%q, model has %q", when, k, v, model[string(k)])
			}
			return true
		})
		if seen != len(model) {
			t.Fatalf("%s: each visited %d keys, want %d", when, seen, len(model))
		}
		if _, ok := tb.get("absent"); ok {
			t.Fatalf("%s: absent key found", when)
		}
	}
	for step := range 20000 {
		k := fmt.Sprintf("k%d", rng.IntN(3000))
		switch op := rng.IntN(10); {
		case op < 6:
			v := fmt.Sprintf("v%d-%s", step, k)
			tb.put(k, []byte(v))
			model[k] = v
		case op < 9:
			tb.put(k, nil)
			delete(model, k)
		case rng.IntN(20) == 0:
			olds = append(olds, frozen{tb, maps.Clone(model)})
			tb = tb.clone()
		default:
			tb = tb.compacted()
		}
	}
	check(&tb, model, "final")
	for i, o := range olds {
		check(&o.t, o.model, fmt.Sprintf("clone %d", i))
	}
	if len(olds) == 0 {
		t.Fatal("no clone was taken")
	}
	// Overwrite every value until garbage is most of the arena: compacted
	// must then rebuild, and the rebuilt table answer the same.
	for round := 0; tb.garbage < 1<<16 || tb.garbage < len(tb.arena)/2; round++ {
		for k := range model {
			v := fmt.Sprintf("%s-round-%d-padding-padding-padding", k, round)
			tb.put(k, []byte(v))
			model[k] = v
		}
	}
	c := tb.compacted()
	if c.garbage != 0 || len(c.arena) >= len(tb.arena) {
		t.Fatalf("compacted kept garbage: %d of %d bytes (was %d)", c.garbage, len(c.arena), len(tb.arena))
	}
	check(&c, model, "compacted")
}

func TestTableIDs(t *testing.T) {
	tb := newTable()
	tb.addID("s", "e1")
	tb.addID("s", "e2")
	tb.addID("s", "e1")
	if got := tb.ids("s"); !reflect.DeepEqual(got, []string{"e1", "e2"}) {
		t.Fatalf("ids = %q", got)
	}
	if got := tb.ids("none"); got != nil {
		t.Fatalf("ids of an absent key = %q", got)
	}
	tb.put("s", joinIDs(nil))
	if _, ok := tb.get("s"); ok || tb.len() != 0 {
		t.Fatal("an empty ID list did not delete the key")
	}
}

// fill sets every field reachable from v to a distinct non-zero value, so
// that a codec that forgets a field fails the round trip.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("值%d", *n))
	case reflect.Int64, reflect.Int:
		v.SetInt(int64(*n) * 1000003)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Uint8:
		v.SetUint(uint64(*n % 256))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, *n, *n*1000, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func TestEntryCodec(t *testing.T) {
	var e Entry
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n)
	e.Events = nil // the index does not keep histories
	for i := range e.Detail.Persons {
		// Nor sealed ID numbers: a check needs the hash, a page the masked
		// number; the sealed one is for a key rotation, read from the store.
		e.Detail.Persons[i].IDCipher = nil
	}
	got := decodeEntry(encodeEntry(&e))
	if !reflect.DeepEqual(got, &e) {
		t.Fatalf("round trip lost fields:\ngot  %+v\nwant %+v", got, &e)
	}
	h := peekEntry(encodeEntry(&e))
	if string(h.list) != e.List || h.seq != e.Seq || h.state != e.State || !h.until.Equal(e.Detail.Until) {
		t.Fatalf("head %+v does not match the entry", h)
	}
	// Zero values, nil slices and zero times survive too.
	zero := &Entry{ID: "e", State: credit.StepDecided}
	if got := decodeEntry(encodeEntry(zero)); !reflect.DeepEqual(got, zero) {
		t.Fatalf("zero entry: got %+v", got)
	}
	if h := peekEntry(encodeEntry(zero)); !h.active(time.Now()) {
		t.Fatal("a decided entry without an end is not active")
	}
}
