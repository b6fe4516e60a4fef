package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/inspection"
)

// TestDrawVerify: `xinyong draw verify` accepts a published draw and
// refuses a tampered one, saying what differs.
func TestDrawVerify(t *testing.T) {
	pool := inspection.BenchPool(2000)
	st, err := inspection.BenchTask(pool)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := inspection.StatementHash(st)
	if err != nil {
		t.Fatal(err)
	}
	r := inspection.Randomness{Source: inspection.SourceBeacon, Value: "2026-12-05 beacon 41"}
	seed := inspection.Seed(sh, r)
	drawn, err := inspection.Run(st, pool, seed)
	if err != nil {
		t.Fatal(err)
	}
	f := &inspection.File{Format: inspection.Format, Statement: *st, Pool: pool,
		Draw: &inspection.Draw{Format: inspection.Format, StatementHash: sh, Randomness: r, Seed: hex.EncodeToString(seed), Subjects: drawn}}
	dir := t.TempDir()
	write := func(name string, f *inspection.File) string {
		b, err := json.MarshalIndent(f, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"draw", "verify", write("good.json", f)}, &out, &errb); code != 0 || !strings.Contains(out.String(), "OK: task bench") {
		t.Fatalf("good file: exit %d\n%s%s", code, out.String(), errb.String())
	}
	f.Draw.Subjects[3].Inspectors[0] = "E9999"
	out.Reset()
	if code := Main([]string{"draw", "verify", write("bad.json", f)}, &out, &errb); code != 1 || !strings.Contains(out.String(), "drawn subject #4") {
		t.Fatalf("tampered file: exit %d\n%s%s", code, out.String(), errb.String())
	}
}
