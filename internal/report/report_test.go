package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/report/reportbench"
	"github.com/xinyong/xinyong/internal/signing"
)

type fixture struct {
	node *apptest.Env
	subj *credit.Subject
	ks   *signing.KeySet
}

func newFixture(t testing.TB, backend string, records int) *fixture {
	t.Helper()
	node := apptest.New(t, apptest.Options{Backend: backend})
	s, err := reportbench.Organisation(t.Context(), node.Records, reportbench.OrgCode, reportbench.OrgName, records, node.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	ks, err := node.KeySet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{node: node, subj: s, ks: ks}
}

func (f *fixture) issueB(t testing.TB, kind string, domains ...string) *report.Issued {
	return f.issue(t, kind, domains...)
}

func newFixtureB(b *testing.B, records int) *fixture { return newFixture(b, apptest.SQLite, records) }

func (f *fixture) issue(t testing.TB, kind string, domains ...string) *report.Issued {
	t.Helper()
	is, err := f.node.R.Reports.Issue(t.Context(), report.Request{Kind: kind, SubjectID: f.subj.ID, Domains: domains,
		Requester: credit.Actor{Name: "subj", Role: credit.RoleSubject, Subject: f.subj.ID}, Purpose: "bidding", BaseURL: "https://credit.example"})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func body(t *testing.T, env []byte) report.Body {
	t.Helper()
	var e report.Envelope
	var b report.Body
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Report, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIssueAndVerify(t *testing.T) {
	for _, backend := range []string{apptest.SQLite, apptest.Postgres} {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend, 6)
			is := f.issue(t, "public_credit")
			b := body(t, is.Envelope)
			if b.Subject.Name != reportbench.OrgName || b.Subject.Code != reportbench.OrgCode || b.Purpose.Name != "招标投标" {
				t.Errorf("subject %+v purpose %+v", b.Subject, b.Purpose)
			}
			var penalties *report.Section
			for i := range b.Sections {
				if b.Sections[i].Code == "penalties" {
					penalties = &b.Sections[i]
				}
			}
			if penalties == nil || len(penalties.Entries) != 6 {
				t.Fatalf("penalties section: %+v", penalties)
			}
			// The subject's own report says of each record whether the
			// public sees it (a 警告 alone is not published by SAMR).
			if penalties.Entries[0].Public == nil {
				t.Error("no publication state on the subject's report")
			}
			v, err := report.Verify(is.Envelope, f.ks, f.node.Clock.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if v.No != b.No || v.LeafIndex != is.Report.LeafIndex || v.Expired {
				t.Errorf("verification %+v", v)
			}
			// Thirty-one days on it is expired, and still authentic.
			if v, err := report.Verify(is.Envelope, f.ks, f.node.Clock.Now().AddDate(0, 0, 31), nil); err != nil || !v.Expired {
				t.Errorf("a month on: %+v %v", v, err)
			}
			// Reports issued one after another each verify as issued,
			// whatever their place in the log (an odd leaf index failed
			// while the log's append changed the head it was given).
			for range 4 {
				next := f.issue(t, "special")
				if _, err := report.Verify(next.Envelope, f.ks, f.node.Clock.Now(), nil); err != nil {
					t.Errorf("report at leaf %d: %v", next.Report.LeafIndex, err)
				}
			}
			// A download again carries a proof against a newer checkpoint.
			_, again, err := f.node.R.Reports.Envelope(t.Context(), b.No)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := report.Verify(again, f.ks, f.node.Clock.Now(), nil); err != nil {
				t.Errorf("downloaded again: %v", err)
			}
		})
	}
}

func TestSpecialReport(t *testing.T) {
	f := newFixture(t, apptest.SQLite, 3)
	b := body(t, f.issue(t, "special", "market_regulation", "tax", "fire").Envelope)
	if b.Period == nil || len(b.Domains) != 3 {
		t.Fatalf("period %v domains %d", b.Period, len(b.Domains))
	}
	mr, tax, fire := b.Domains[0], b.Domains[1], b.Domains[2]
	if mr.Clean || len(mr.Entries) != 3 || !strings.Contains(mr.Statement, "违法违规记录3条") {
		t.Errorf("market regulation: %+v", mr)
	}
	if len(mr.Departments) < 2 {
		t.Errorf("market regulation departments %v", mr.Departments)
	}
	if !tax.Clean || !tax.Covered || !strings.Contains(tax.Statement, "无违法违规记录") || tax.Departments[0].Code != "TAX-350100" {
		t.Errorf("tax: %+v", tax)
	}
	if fire.Covered || fire.Clean || !strings.Contains(fire.Statement, "不能出具") {
		t.Errorf("a domain without departments: %+v", fire)
	}
}

func TestTamper(t *testing.T) {
	f := newFixture(t, apptest.SQLite, 2)
	is := f.issue(t, "public_credit")
	now := f.node.Clock.Now()
	b := body(t, is.Envelope)
	tests := []struct {
		name, old, new, want string
	}{
		{"subject's name", `"name":"` + reportbench.OrgName + `"`, `"name":"福州另一科技有限公司"`, "changed: subject"},
		{"a penalty's content", "罚款人民币2000元", "罚款人民币200元", "changed: sections, sections/penalties"},
		{"validity in the statement", `"valid_until":"` + b.ValidUntil + `"},"signature"`, `"valid_until":"2099-01-01T00:00:00+08:00"},"signature"`, "the signature does not match"},
		{"validity in the report", `"valid_until":"` + b.ValidUntil + `","`, `"valid_until":"2099-01-01T00:00:00+08:00","`, "changed: valid_until"},
		{"the log proof", `"index":` + jsonInt(is.Report.LeafIndex), `"index":` + jsonInt(is.Report.LeafIndex+7), "transparency log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Contains(is.Envelope, []byte(tt.old)) {
				t.Fatalf("the envelope does not hold %s", tt.old)
			}
			bad := bytes.Replace(is.Envelope, []byte(tt.old), []byte(tt.new), 1)
			_, err := report.Verify(bad, f.ks, now, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("verify: %v\nwant it to say %q", err, tt.want)
			}
		})
	}
	// A key the platform never published.
	other, _ := signing.ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	ks2, _ := signing.NewKeySet(f.ks.Issuer, f.ks.IssuerEn, f.ks.LogOrigin, []credit.SigningKey{other.Record(now)})
	if _, err := report.Verify(is.Envelope, ks2, now, nil); err == nil || !strings.Contains(err.Error(), "not among the platform's published keys") {
		t.Errorf("unknown key: %v", err)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestPDF(t *testing.T) {
	f := newFixture(t, apptest.SQLite, 12)
	is := f.issue(t, "public_credit")
	b := body(t, is.Envelope)
	pdf, err := report.RenderPDF(is.Envelope, f.node.R.SigningKey())
	if err != nil {
		t.Fatal(err)
	}
	env, err := report.VerifyPDF(pdf, f.ks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.Verify(env, f.ks, f.node.Clock.Now(), nil); err != nil {
		t.Fatalf("the envelope inside the PDF: %v", err)
	}
	// One byte of the page content changed fails the file's signature.
	for _, at := range []int{len(pdf) / 3, len(pdf) / 2, 200} {
		bad := bytes.Clone(pdf)
		bad[at] ^= 0x01
		if _, err := report.VerifyPDF(bad, f.ks); err == nil || !strings.Contains(err.Error(), "changed after it was issued") {
			t.Errorf("byte %d changed: %v", at, err)
		}
	}
	if _, err := report.VerifyPDF(pdf[:len(pdf)-40], f.ks); err == nil {
		t.Error("a cut PDF verifies")
	}

	// The PDF, drawn as a person sees it: Chinese text, the subject's name
	// and code and the report number (poppler's pdftotext and pdftoppm).
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("poppler-utils (pdftotext, pdftoppm) is not installed")
		}
		t.Skip("poppler-utils not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{reportbench.OrgName, reportbench.OrgCode, b.No, "公共信用信息报告", "行政处罚", "第 1 页，共"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext does not find %q", want)
		}
	}
	if err := exec.Command("pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", path, filepath.Join(dir, "page")).Run(); err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile(filepath.Join(dir, "page-1.png"))
	if err != nil {
		png, err = os.ReadFile(filepath.Join(dir, "page-01.png"))
	}
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("pdftoppm made no page: %v", err)
	}
	if art := os.Getenv("XINYONG_ARTEFACTS"); art != "" {
		_ = os.MkdirAll(filepath.Join(art, "reports"), 0o755)
		_ = os.WriteFile(filepath.Join(art, "reports", "public_credit.pdf"), pdf, 0o644)
		_ = os.WriteFile(filepath.Join(art, "reports", "public_credit-page-1.png"), png, 0o644)
	}
}

// Body marshals to its canonical form: issuing hashes the bytes as
// written, a verifier of an untouched report the bytes as read.
func TestBodyIsCanonical(t *testing.T) {
	f := newFixture(t, apptest.SQLite, 3)
	for _, kind := range []string{"public_credit", "special"} {
		var e report.Envelope
		if err := json.Unmarshal(f.issue(t, kind).Envelope, &e); err != nil {
			t.Fatal(err)
		}
		for name, raw := range map[string][]byte{"report": e.Report, "statement": e.Statement} {
			c, err := report.Canonical(raw)
			if err != nil || !bytes.Equal(c, raw) {
				t.Errorf("%s %s is not canonical as issued (%v):\n%s\n%s", kind, name, err, raw, c)
			}
		}
	}
}
