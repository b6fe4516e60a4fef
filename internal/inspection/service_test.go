package inspection_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/inspection"
	"github.com/xinyong/xinyong/internal/records"
)

// TestServiceBothBackends: on each backend a task is published over the
// register, drawn with the log's checkpoint, and its file (through JSON,
// as downloaded) verifies with the node's key set; the task's own classes
// draw at their ratios; a beacon task needs its value.
func TestServiceBothBackends(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			node := apptest.New(t, apptest.Options{Backend: backend})
			ctx := t.Context()
			codes := []string{"91350102MA2Y00001E", "91350104MA2Y00001B", "91350200MA2Y00001N"}
			for i, c := range codes {
				if _, err := node.Records.PutOrganisation(ctx, records.Organisation{Code: c, Name: "示例企业" + string(rune('甲'+i)), Status: "存续"}); err != nil {
					t.Fatal(err)
				}
			}
			req := inspection.Request{Matter: "daily_supervision", Title: "抽查", Item: "公示信息", Filter: credit.PoolFilter{Region: "35"},
				Ratios:     map[string]int{"A": 0, "D": 10000},
				Classes:    map[string]string{codes[0]: "A", codes[1]: "D", codes[2]: "D"},
				Inspectors: []inspection.Inspector{{ID: "E1", Name: "甲"}, {ID: "E2", Name: "乙"}, {ID: "E3", Name: "丙"}}}
			task, err := node.Inspection.Create(ctx, "SAMR-350100", req)
			if err != nil {
				t.Fatal(err)
			}
			_, d, err := node.Inspection.Draw(ctx, "SAMR-350100", task.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Subjects) != 2 || d.Subjects[0].Class != "D" || d.Subjects[1].Class != "D" {
				t.Fatalf("drawn %+v: want the two subjects of class D (100 %%) and none of A (0 %%)", d.Subjects)
			}
			f, err := node.Inspection.File(ctx, task.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			g, err := inspection.ReadFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			ks, err := node.KeySet(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inspection.Verify(g, ks); err != nil {
				t.Fatalf("verify: %v", err)
			}

			req.Randomness = inspection.RandomnessRule{Source: inspection.SourceBeacon, Beacon: "第140期"}
			bt, err := node.Inspection.Create(ctx, "SAMR-350100", req)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := node.Inspection.Draw(ctx, "SAMR-350100", bt.ID, " "); !credit.Is(credit.Invalid, err) {
				t.Fatalf("a beacon draw without its value: %v", err)
			}
			if _, _, err := node.Inspection.Draw(ctx, "OTHER", bt.ID, "1 2 3"); !credit.Is(credit.Permission, err) {
				t.Fatalf("another department's draw: %v", err)
			}
			if _, _, err := node.Inspection.Draw(ctx, "SAMR-350100", bt.ID, "1 2 3"); err != nil {
				t.Fatal(err)
			}
			day := node.Clock.Now().In(chinatime.Location).Format("2006-01-02")
			if _, err := node.Inspection.Record(ctx, "SAMR-350100", "dept", bt.ID, inspection.ResultInput{Subject: codes[1], Result: "合格", InspectedOn: day}); !credit.Is(credit.Invalid, err) {
				t.Fatalf("an unknown result: %v", err)
			}
			// Ratios that miss a class of the pool, one the department's
			// graded supervision does not know either, are refused, naming it.
			req.Ratios = map[string]int{"D": 500}
			req.Classes = map[string]string{codes[0]: "own", codes[1]: "D", codes[2]: "D"}
			if _, err := node.Inspection.Create(ctx, "SAMR-350100", req); !credit.Is(credit.Invalid, err) || !strings.Contains(err.Error(), `"own"`) {
				t.Fatalf("a class without a ratio: %v", err)
			}
			// A graded class without a stated ratio takes the department's.
			req.Classes = map[string]string{codes[0]: "A", codes[1]: "D", codes[2]: "D"}
			at, err := node.Inspection.Create(ctx, "SAMR-350100", req)
			if err != nil {
				t.Fatalf("a graded class without a stated ratio: %v", err)
			}
			_, af, err := node.Inspection.Task(ctx, at.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range af.Statement.Classes {
				if want := map[string]int{"A": 300, "D": 500}[c.Class]; c.RatioBP != want {
					t.Errorf("class %s at %d bp, want %d", c.Class, c.RatioBP, want)
				}
			}
		})
	}
}
