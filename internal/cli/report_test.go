package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/api"
	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/report/reportbench"
	"github.com/xinyong/xinyong/internal/tlog"
)

func runMain(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestVerifyOffline: a report verifies with nothing but the published
// keys; a changed byte or field fails with what does not match; log
// proofs (a report's, a fact's, two checkpoints') verify, and a fact
// changed after it was logged does not.
func TestVerifyOffline(t *testing.T) {
	ctx := t.Context()
	node := apptest.New(t, apptest.Options{})
	subj, err := reportbench.Organisation(ctx, node.Records, reportbench.OrgCode, reportbench.OrgName, 4, node.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	is, err := node.R.Reports.Issue(ctx, report.Request{Kind: "special", SubjectID: subj.ID,
		Requester: credit.Actor{Name: "s", Role: credit.RoleSubject, Subject: subj.ID}, BaseURL: "https://credit.example"})
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := report.RenderPDF(is.Envelope, node.R.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := node.KeySet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	jks, _ := json.Marshal(ks)
	keys := write("keys.json", jks)
	at := node.Clock.Now().Format(time.RFC3339)

	for _, f := range []string{write("r.json", is.Envelope), write("r.pdf", pdf)} {
		code, out, errOut := runMain("report", "verify", "--keys", keys, "--at", at, f)
		if code != 0 || !strings.Contains(out, is.Report.No) || !strings.Contains(out, "signature: good") {
			t.Errorf("%s: exit %d\n%s%s", filepath.Base(f), code, out, errOut)
		}
	}
	// A month and a day later it has expired: still authentic, exit 1.
	if code, out, _ := runMain("report", "verify", "--keys", keys, "--at", node.Clock.Now().AddDate(0, 1, 1).Format(time.RFC3339), write("r2.json", is.Envelope)); code != 1 || !strings.Contains(out, "EXPIRED") {
		t.Errorf("expired: exit %d\n%s", code, out)
	}
	// One byte of the PDF's content, one field of the JSON.
	bad := bytes.Clone(pdf)
	bad[len(bad)/2] ^= 1
	if code, out, _ := runMain("report", "verify", "--keys", keys, "--at", at, write("bad.pdf", bad)); code != 1 || !strings.Contains(out, "changed after it was issued") {
		t.Errorf("tampered PDF: exit %d\n%s", code, out)
	}
	badJSON := bytes.Replace(is.Envelope, []byte(`"clean":true`), []byte(`"clean":false`), 1)
	if bytes.Equal(badJSON, is.Envelope) {
		t.Fatal("the special report has no clean domain to change")
	}
	if code, out, _ := runMain("report", "verify", "--keys", keys, "--at", at, write("bad.json", badJSON)); code != 1 || !strings.Contains(out, "changed: domains") {
		t.Errorf("tampered JSON: exit %d\n%s", code, out)
	}
	if code, _, errOut := runMain("report", "verify", write("x.json", is.Envelope)); code != 2 || !strings.Contains(errOut, "--keys") {
		t.Errorf("without keys: exit %d %s", code, errOut)
	}

	// The log: facts enter it from the change feed; proofs verify offline.
	if _, err := node.R.Log.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := node.R.Log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldFile := write("old.checkpoint", []byte(old.Note))
	// A fact: the first record logged.
	cs, _ := node.Store.ChangesSince(ctx, 0, 100, credit.ChangeRecord)
	leaf, err := node.Store.LogLeafByRef(ctx, tlog.LeafFact, strconv.FormatInt(cs[0].Pos, 10))
	if err != nil {
		t.Fatal(err)
	}
	proof, err := node.R.Log.Prove(ctx, leaf.Index, nil)
	if err != nil {
		t.Fatal(err)
	}
	content, _, err := node.R.Log.Content(ctx, cs[0], tlog.LeafVersion(leaf.Data))
	if err != nil {
		t.Fatal(err)
	}
	fp := api.FactProof{InclusionAnswer: api.InclusionAnswer{Inclusion: proof, LeafData: string(leaf.Data), Kind: leaf.Kind}, Content: string(content), Salt: leaf.Salt}
	b, _ := json.Marshal(fp)
	if code, out, errOut := runMain("log", "verify", "--keys", keys, "--checkpoint", oldFile, write("fact.json", b)); code != 0 || !strings.Contains(out, "the content committed to") {
		t.Errorf("fact: exit %d\n%s%s", code, out, errOut)
	}
	fp.Content = strings.Replace(fp.Content, "虚假宣传", "价格违法", 1)
	b, _ = json.Marshal(fp)
	if code, out, _ := runMain("log", "verify", "--keys", keys, write("fact-bad.json", b)); code != 1 || !strings.Contains(out, "changed after it was logged") {
		t.Errorf("changed fact: exit %d\n%s", code, out)
	}
	// More reports, then the old checkpoint is a prefix of the new one.
	for range 3 {
		if _, err := node.R.Reports.Issue(ctx, report.Request{Kind: "public_credit", SubjectID: subj.ID,
			Requester: credit.Actor{Name: "s", Role: credit.RoleSubject, Subject: subj.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := node.R.Log.ProveConsistency(ctx, old.Size, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(cons)
	if code, out, errOut := runMain("log", "verify", "--keys", keys, "--checkpoint", oldFile, write("cons.json", b)); code != 0 || !strings.Contains(out, "consistent") {
		t.Errorf("consistency: exit %d\n%s%s", code, out, errOut)
	}
	if len(cons.Hashes) > 0 {
		cons.Hashes[0][0] ^= 1
		b, _ = json.Marshal(cons)
		if code, out, _ := runMain("log", "verify", "--keys", keys, write("cons-bad.json", b)); code != 1 || !strings.Contains(out, "rewritten") {
			t.Errorf("bad consistency proof: exit %d\n%s", code, out)
		}
	}
	// The report's own inclusion, as the API answers it.
	rl, err := node.Store.LogLeafByRef(ctx, tlog.LeafReport, is.Report.No)
	if err != nil {
		t.Fatal(err)
	}
	rp, err := node.R.Log.Prove(ctx, rl.Index, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(api.InclusionAnswer{Inclusion: rp, LeafData: string(rl.Data), Kind: rl.Kind})
	if code, out, errOut := runMain("log", "verify", "--keys", keys, write("incl.json", b)); code != 0 || !strings.Contains(out, "included: leaf") {
		t.Errorf("report inclusion: exit %d\n%s%s", code, out, errOut)
	}
}
