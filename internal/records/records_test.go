package records_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/apptest"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

func newService(t *testing.T) *records.Service {
	t.Helper()
	st, cat, seal := apptest.Store(t, ""), apptest.Catalog(t), apptest.Sealer(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	return &records.Service{Store: st, Catalog: cat, Sealer: seal, Now: func() time.Time { return now }}
}

func penalty(sub *credit.Subject, doc, content string) credit.Fields {
	authority := "11350100MB0123456X"
	if r := uscc.CheckUSCC(authority); r.Status != uscc.Valid {
		authority = uscc.NewGenerator(9).USCC('1', '1', "350100")
	}
	return credit.Fields{
		"cf_xdr_mc": sub.Name, "cf_xdr_lb": "法人及非法人组织", "cf_xdr_shxym": sub.Code, "cf_frdb": "王伟",
		"cf_wsh": doc, "cf_wfxw": "经营超过保质期的食品", "cf_sy": "经查……", "cf_yj": "《食品安全法》第一百二十四条",
		"cf_cflb": "罚款", "cf_nr": content, "cf_nr_fk": "2", "cf_jdrq": "2026-10-08",
		"cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority,
	}
}

func TestAppendResendCorrectRevoke(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	code := uscc.NewGenerator(1).USCC('9', '1', "350100")
	sub, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: "福州恒泰电子科技有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	rep := records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: penalty(sub, "榕市监罚〔2026〕1号", "罚款两万元")}
	first, out, err := svc.Append(ctx, rep)
	if err != nil || out != records.Created {
		t.Fatalf("first append: %v %v", out, err)
	}
	if first.Severity == credit.SeverityNone {
		t.Fatalf("a fine got no severity class")
	}

	// The same document with the same content: nothing is written.
	if _, out, err := svc.Append(ctx, rep); err != nil || out != records.Unchanged {
		t.Fatalf("resend: %v %v", out, err)
	}
	// Changed content: a new version pointing at the first.
	rep.Fields = penalty(sub, "榕市监罚〔2026〕1号", "罚款三万元")
	v2, out, err := svc.Append(ctx, rep)
	if err != nil || out != records.Versioned || v2.Supersedes != first.ID {
		t.Fatalf("changed resend: %v %v supersedes=%q", out, err, v2.Supersedes)
	}
	// Resending the changed content again is unchanged against the new version.
	if _, out, err := svc.Append(ctx, rep); err != nil || out != records.Unchanged {
		t.Fatalf("resend of v2: %v %v", out, err)
	}
	file, err := svc.File(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(file) != 1 || len(file[0].History) != 2 || file[0].Current.Fields["cf_nr"] != "罚款三万元" {
		t.Fatalf("derived file = %+v", file)
	}
	if _, err := svc.Revoke(ctx, v2.ID, "SAMR-350100", ""); !credit.Is(credit.Invalid, err) {
		t.Fatalf("revocation without reason: err = %v", err)
	}
	if _, err := svc.Revoke(ctx, v2.ID, "SAMR-350100", "行政复议撤销"); err != nil {
		t.Fatal(err)
	}
	file, _ = svc.File(ctx, sub.ID)
	if !file[0].Revoked || len(file[0].History) != 3 {
		t.Fatalf("after revocation: revoked=%v history=%d", file[0].Revoked, len(file[0].History))
	}
	n, _ := svc.Store.CountRecords(ctx)
	if n != 3 {
		t.Fatalf("%d facts stored, want 3 (original, version, revocation)", n)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	code := uscc.NewGenerator(2).USCC('9', '1', "350100")
	sub, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: "福州宏盛商贸有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	fields := penalty(sub, "榕市监罚〔2026〕2号", "罚款")
	other := uscc.NewGenerator(3).USCC('9', '1', "350100")
	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: other, Name: "福州另一家有限公司"}); err != nil {
		t.Fatal(err)
	}
	otherFields := penalty(&credit.Subject{Name: "福州另一家有限公司", Code: other}, "榕市监罚〔2026〕3号", "罚款")
	p1, err := svc.PutPerson(ctx, "王小明", "11010519491231002X")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := svc.PutPerson(ctx, "李小红", "110105194912310038")
	if err != nil {
		t.Fatal(err)
	}
	personFields := func(idno string) credit.Fields {
		f := without(without(penalty(p1, "榕市监罚〔2026〕4号", "罚款"), "cf_xdr_shxym"), "cf_frdb")
		f["cf_xdr_lb"], f["cf_xdr_zjlx"], f["cf_xdr_zjhm"] = "自然人", "身份证", idno
		return f
	}
	cases := []struct {
		name string
		rep  records.Report
		kind credit.Kind
		msg  string
	}{
		{"item not in catalogue", records.Report{Item: "gossip", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: fields}, credit.Invalid, `unknown catalogue item "gossip"`},
		{"unknown subject", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: "91350100M000100Y43", Fields: fields}, credit.NotFound, "91350100M000100Y43"},
		{"no department", records.Report{Item: "admin_penalty", SubjectID: sub.ID, Fields: fields}, credit.Invalid, "department"},
		{"missing required field", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: without(fields, "cf_jdrq")}, credit.Invalid, "cf_jdrq"},
		{"an authority code with a wrong check character", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: with(fields, "cf_cfjgdm", badCheck(fields["cf_cfjgdm"]))}, credit.Invalid, "field cf_cfjgdm: invalid unified social credit code"},
		{"a resident ID number as the subject's code", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: with(fields, "cf_xdr_shxym", "11010519491231002X")}, credit.Invalid, "is a resident ID number"},
		{"fields naming another company", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: sub.ID, Fields: otherFields}, credit.Invalid, "is " + other + ", not the subject " + sub.ID},
		{"fields naming another person", records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: p2.ID, Fields: personFields("11010519491231002X")}, credit.Invalid, "is not subject " + p2.ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := svc.Append(ctx, tc.rep)
			if !credit.Is(tc.kind, err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v (kind %v), want kind %v mentioning %q", err, credit.KindOf(err), tc.kind, tc.msg)
			}
		})
	}
	if n, _ := svc.Store.CountRecords(ctx); n != 0 {
		t.Fatalf("%d records stored after refusals", n)
	}
	// The same fields filed under the subject they name are taken.
	for _, rep := range []records.Report{
		{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: other, Fields: otherFields},
		{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: p1.ID, Fields: personFields("11010519491231002X")},
	} {
		if _, _, err := svc.Append(ctx, rep); err != nil {
			t.Errorf("%s: %v", rep.SubjectID, err)
		}
	}
}

func with(f credit.Fields, key, val string) credit.Fields {
	out := without(f, key)
	out[key] = val
	return out
}

// badCheck is code with its check character changed.
func badCheck(code string) string {
	last := code[len(code)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return code[:len(code)-1] + string(repl)
}

func without(f credit.Fields, key string) credit.Fields {
	out := credit.Fields{}
	for k, v := range f {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func TestSubjects(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: "91350100M000100Y4Z", Name: "x"}); !credit.Is(credit.Invalid, err) {
		t.Fatalf("invalid code accepted: %v", err)
	}
	legacy, err := svc.PutOrganisation(ctx, records.Organisation{Code: "91350203M0001QKT19", Name: "厦门某某有限公司"})
	if err != nil || legacy.CodeFlag == "" {
		t.Fatalf("legacy code: err=%v flag=%q; want kept with a data-quality flag", err, legacy.CodeFlag)
	}
	// Renaming keeps the former name.
	code := uscc.NewGenerator(3).USCC('9', '1', "350100")
	if _, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: "旧名称有限公司"}); err != nil {
		t.Fatal(err)
	}
	renamed, err := svc.PutOrganisation(ctx, records.Organisation{Code: code, Name: "新名称有限公司"})
	if err != nil || len(renamed.FormerNames) != 1 || renamed.FormerNames[0] != "旧名称有限公司" {
		t.Fatalf("rename: %v former=%v", err, renamed.FormerNames)
	}

	id := uscc.NewGenerator(4).ResidentID("350102", time.Date(1980, 5, 6, 0, 0, 0, 0, time.UTC), true)
	p, err := svc.PutPerson(ctx, "张三", id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.ID, id) || p.IDMasked == id || !strings.Contains(p.IDMasked, "*") {
		t.Fatalf("person key or display leaks the ID number: id=%q masked=%q", p.ID, p.IDMasked)
	}
	got, err := svc.Store.Subject(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.IDCipher, []byte(id)) {
		t.Fatal("ID number stored in clear")
	}
	clear, err := svc.Sealer.Open(got.IDCipher)
	if err != nil || clear != id {
		t.Fatalf("sealed ID does not open back: %q %v", clear, err)
	}
	again, err := svc.PutPerson(ctx, "张三", strings.ToLower(id))
	if err != nil || again.ID != p.ID {
		t.Fatalf("the same person reported twice became two subjects: %v", err)
	}
}

// TestCorrectFromStoredFields: a correction built from a stored record's
// fields (an upheld objection changing one field, a commitment's breach)
// carries its sealed personal fields as they are stored; they are opened
// for validation and sealed again, never refused for their sealed length
// nor stored in clear.
func TestCorrectFromStoredFields(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	const idno = "11010519491231002X"
	p, err := svc.PutPerson(ctx, "王小明", idno)
	if err != nil {
		t.Fatal(err)
	}
	authority := uscc.NewGenerator(9).USCC('1', '1', "350100")
	rec, _, err := svc.Append(ctx, records.Report{Item: "admin_penalty", Dept: "SAMR-350100", SubjectID: p.ID, Fields: credit.Fields{
		"cf_xdr_mc": "王小明", "cf_xdr_lb": "自然人", "cf_xdr_zjlx": "身份证", "cf_xdr_zjhm": idno,
		"cf_wsh": "榕市监罚〔2026〕9号", "cf_wfxw": "无证经营", "cf_sy": "经查……", "cf_yj": "《某法》", "cf_cflb": "罚款", "cf_nr": "罚款五千元",
		"cf_nr_fk": "0.5", "cf_jdrq": "2026-10-08", "cf_cfjg": "福州市市场监督管理局", "cf_cfjgdm": authority, "cf_sjly": "福州市市场监督管理局", "cf_sjlydm": authority,
	}})
	if err != nil {
		t.Fatal(err)
	}
	fields := credit.Fields{}
	for k, v := range rec.Fields {
		fields[k] = v
	}
	fields["cf_nr"] = "罚款三千元"
	c, err := svc.Correct(ctx, rec.ID, "SAMR-350100", "复核更正金额", fields)
	if err != nil {
		t.Fatalf("correction from the stored fields: %v", err)
	}
	if v := c.Fields["cf_xdr_zjhm"]; strings.Contains(v, idno) || v == "" {
		t.Errorf("the number in the correction: %q", v)
	}
	if opened, err := svc.OpenFields(c.Fields); err != nil || opened["cf_xdr_zjhm"] != idno {
		t.Errorf("opened %q %v", opened["cf_xdr_zjhm"], err)
	}
}
