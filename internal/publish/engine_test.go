package publish

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

var cst = chinatime.Location

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, cst) }

const (
	orgID    = "91350100M000100Y43"
	otherID  = "91350203M0001QKT19"
	personID = "Pabc"
)

var (
	org    = &credit.Subject{ID: orgID, Kind: credit.Organisation, Code: orgID, Name: "福州恒泰电子科技有限公司"}
	other  = &credit.Subject{ID: otherID, Kind: credit.Organisation, Code: otherID, Name: "厦门某公司"}
	person = &credit.Subject{ID: personID, Kind: credit.Person, Name: "张三丰"}
)

func penalty(subject *credit.Subject, dept, cflb, fine, nr string) credit.State {
	f := credit.Fields{
		"cf_xdr_mc": subject.Name, "cf_wsh": "榕罚〔2026〕1号", "cf_cflb": cflb, "cf_nr": nr,
		"cf_nr_fk": fine, "cf_jdrq": "2026-01-10", "cf_cfjg": "福州市市场监督管理局",
		"cf_sy": "违法事实", "cf_yj": "依据",
	}
	if subject.Kind == credit.Person {
		f["cf_xdr_lb"] = "自然人"
		f["cf_xdr_zjhm"] = "350102199001011234"
	} else {
		f["cf_xdr_lb"] = "法人及非法人组织"
		f["cf_xdr_shxym"] = subject.Code
	}
	r := credit.Record{
		ID: "R-" + cflb + fine, SubjectID: subject.ID, Item: "admin_penalty", Fact: credit.Original,
		Dept: dept, DocNo: "榕罚〔2026〕1号", DecidedOn: day(2026, 1, 10), Fields: f, Kind: subject.Kind,
	}
	return credit.State{Current: r, Origin: r.ID, History: []credit.Record{r}}
}

func licence(subject *credit.Subject, until string) credit.State {
	f := credit.Fields{"xk_xdr_mc": subject.Name, "xk_wsh": "许可1号", "xk_jdrq": "2026-01-10", "xk_yxqzi": until, "xk_xkjg": "福州市城乡建设局"}
	if subject.Kind == credit.Person {
		f["xk_xdr_lb"] = "自然人"
		f["xk_xdr_zjhm"] = "350102199001011234"
	} else {
		f["xk_xdr_lb"] = "法人及非法人组织"
	}
	r := credit.Record{ID: "L-" + subject.ID, SubjectID: subject.ID, Item: "admin_licence", Fact: credit.Original,
		Dept: "HOUSING-350100", DecidedOn: day(2026, 1, 10), Fields: f, Kind: subject.Kind}
	return credit.State{Current: r, Origin: r.ID, History: []credit.Record{r}}
}

func engineAt(t *testing.T, now *time.Time) *Engine {
	t.Helper()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	return New(cat, func() time.Time { return *now })
}

// visibility is "P G I S A": which audiences see the record ('-' = not).
func visibility(e *Engine, st credit.State, subj *credit.Subject, m Marks) string {
	var b strings.Builder
	for i, a := range Audiences {
		if a == Audit {
			// The auditor sees what the administrator sees, masked.
			if e.Decide(st, subj, Audit, m).Visible != e.Decide(st, subj, Admin, m).Visible {
				return "audit differs from admin"
			}
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if e.Decide(st, subj, a, m).Visible {
			b.WriteString(strings.ToUpper(string(a[0])))
			if a == Self {
				b.WriteString("")
			}
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func TestDecideTable(t *testing.T) {
	revoked := penalty(org, "NDRC-350100", "罚款", "50", "")
	revoked.Revoked = true
	type moment struct {
		at   time.Time
		want string // P G I S A
	}
	cases := []struct {
		name    string
		st      credit.State
		subj    *credit.Subject
		marks   Marks
		sev     credit.Severity
		moments []moment
	}{
		{"general fine, default rules: 3 months to 1 year", penalty(org, "NDRC-350100", "罚款", "50", ""), org, Marks{}, credit.SeverityGeneral, []moment{
			{day(2026, 1, 9), "- - - S A"},
			{day(2026, 1, 10), "P G I S A"},
			{day(2027, 1, 9), "P G I S A"},
			{day(2027, 1, 10), "- - - S A"},
		}},
		{"market regulation: same fine is 一般 with 1 to 3 years", penalty(org, "SAMR-350100", "罚款", "50", ""), org, Marks{}, credit.SeverityGeneral, []moment{
			{day(2027, 6, 1), "P G I S A"},
			{day(2029, 1, 9), "P G I S A"},
			{day(2029, 1, 10), "- - - S A"},
		}},
		{"market regulation: a warning alone is not published", penalty(org, "SAMR-350100", "警告", "", ""), org, Marks{}, credit.SeverityMinor, []moment{
			{day(2026, 1, 11), "- G I S A"},
			{day(2026, 4, 10), "- - - S A"},
		}},
		{"small fine is 轻微: shared 3 months, never public", penalty(org, "NDRC-350100", "罚款", "0.5", ""), org, Marks{}, credit.SeverityMinor, []moment{
			{day(2026, 2, 1), "- G I S A"},
			{day(2026, 4, 9), "- G I S A"},
			{day(2026, 4, 10), "- - - S A"},
		}},
		{"several types take the longest period", penalty(org, "NDRC-350100", "罚款;吊销许可证", "2", ""), org, Marks{}, credit.SeveritySerious, []moment{
			{day(2028, 6, 1), "P G I S A"},
			{day(2029, 1, 10), "- - - S A"},
		}},
		{"an attached term outlasts the maximum", penalty(org, "NDRC-350100", "罚款;限制从业", "200", "限制从业五年"), org, Marks{}, credit.SeveritySerious, []moment{
			{day(2030, 6, 1), "P G I S A"},
			{day(2031, 1, 9), "P G I S A"},
			{day(2031, 1, 10), "- - - S A"},
		}},
		{"a natural person's 失信 record is not public", penalty(person, "NDRC-350100", "罚款", "3", ""), person, Marks{}, credit.SeverityGeneral, []moment{
			{day(2026, 2, 1), "- G I S A"},
			{day(2027, 1, 10), "- - - S A"},
		}},
		{"revoked: never public or shared", revoked, org, Marks{}, credit.SeverityGeneral, []moment{
			{day(2026, 2, 1), "- - - S A"},
		}},
		{"repaired: publication and sharing end", penalty(org, "NDRC-350100", "罚款", "50", ""), org, Marks{Repaired: true}, credit.SeverityGeneral, []moment{
			{day(2026, 6, 1), "- - - S A"},
		}},
		{"bankruptcy reorganisation masks", penalty(org, "NDRC-350100", "罚款", "50", ""), org, Marks{BankruptcyMasked: true}, credit.SeverityGeneral, []moment{
			{day(2026, 6, 1), "- - - S A"},
		}},
		{"under objection stays visible, marked", penalty(org, "NDRC-350100", "罚款", "50", ""), org, Marks{UnderObjection: true}, credit.SeverityGeneral, []moment{
			{day(2026, 6, 1), "P G I S A"},
		}},
		{"licence: published while valid, shared after", licence(org, "2027-12-31"), org, Marks{}, credit.SeverityNone, []moment{
			{day(2027, 12, 31), "P G I S A"},
			{day(2028, 1, 1), "- G I S A"},
		}},
		{"long-term licence has no end", licence(org, "2099-12-31"), org, Marks{}, credit.SeverityNone, []moment{
			{day(2060, 1, 1), "P G I S A"},
		}},
		{"a subject does not see another's record", penalty(org, "NDRC-350100", "罚款", "50", ""), other, Marks{}, credit.SeverityGeneral, []moment{
			{day(2026, 6, 1), "P G I - A"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var now time.Time
			e := engineAt(t, &now)
			for _, m := range c.moments {
				now = m.at
				if got := visibility(e, c.st, c.subj, c.marks); got != m.want {
					d := e.Decide(c.st, c.subj, Public, c.marks)
					t.Errorf("at %s: visibility %q, want %q (public: %s, until %s)", m.at.Format(time.DateOnly), got, m.want, d.Reason, d.PublishedUntil.Format(time.DateOnly))
				}
				if d := e.Decide(c.st, c.subj, Admin, c.marks); d.Severity != c.sev || d.Marks != c.marks {
					t.Errorf("severity %q marks %+v, want %q %+v", d.Severity, d.Marks, c.sev, c.marks)
				}
			}
		})
	}
}

// TestDecideProperties checks invariants over every case, audience and a
// sweep of clock moves across six years.
func TestDecideProperties(t *testing.T) {
	var now time.Time
	e := engineAt(t, &now)
	revoked := penalty(org, "NDRC-350100", "罚款", "50", "")
	revoked.Revoked = true
	states := []struct {
		st   credit.State
		subj *credit.Subject
	}{
		{penalty(org, "NDRC-350100", "罚款", "50", ""), org},
		{penalty(org, "SAMR-350100", "罚款", "500", "限制从业三年"), org},
		{penalty(org, "TAX-350100", "罚款", "0.1", ""), org},
		{penalty(person, "SAMR-350100", "罚款", "8", ""), person},
		{licence(org, "2027-06-30"), org},
		{licence(person, "2099-12-31"), person},
		{revoked, org},
	}
	for _, s := range states {
		for _, marks := range []Marks{{}, {UnderObjection: true}, {UnderRepair: true}, {Repaired: true}, {BankruptcyMasked: true}} {
			for now = day(2025, 12, 1); now.Before(day(2032, 1, 1)); now = now.AddDate(0, 0, 9) {
				ds := map[Audience]Decision{}
				for _, a := range Audiences {
					ds[a] = e.Decide(s.st, s.subj, a, marks)
				}
				where := s.st.Current.ID + " at " + now.Format(time.DateOnly)
				if !ds[Admin].Visible || !ds[Self].Visible {
					t.Fatalf("%s: admin or owner cannot see the record", where)
				}
				pub, gov := ds[Public], ds[Gov]
				if pub.Visible && !gov.Visible {
					t.Fatalf("%s: public sees what government sharing does not (%s)", where, gov.Reason)
				}
				if pub.Visible {
					if s.st.Revoked || marks.Repaired || marks.BankruptcyMasked {
						t.Fatalf("%s: revoked, repaired or masked record is public", where)
					}
					if now.Before(pub.PublishedFrom) || (!pub.PublishedUntil.IsZero() && !now.Before(pub.PublishedUntil)) {
						t.Fatalf("%s: public outside [%v, %v)", where, pub.PublishedFrom, pub.PublishedUntil)
					}
					if s.subj.Kind == credit.Person && pub.Severity != credit.SeverityNone {
						t.Fatalf("%s: a person's 失信 record is public", where)
					}
				}
				if ds[Institution].Visible != gov.Visible {
					t.Fatalf("%s: institution and gov differ", where)
				}
				// Field sets only grow with the audience, and masks apply
				// to everyone but the owner and the administrator.
				it, _ := e.Catalog.Item(s.st.Current.Item)
				scope := map[string]catalog.Scope{}
				for _, f := range it.Fields {
					scope[f.Code] = f.Publish
				}
				codes := func(d Decision) []string {
					var c []string
					for _, f := range d.Fields {
						c = append(c, f.Code)
					}
					return c
				}
				for _, f := range pub.Fields {
					if scope[f.Code] != catalog.ScopePublic {
						t.Fatalf("%s: public sees %s (%s)", where, f.Code, scope[f.Code])
					}
					if !slices.Contains(codes(gov), f.Code) {
						t.Fatalf("%s: gov misses public field %s", where, f.Code)
					}
				}
				for _, f := range gov.Fields {
					if scope[f.Code] == catalog.ScopeAuthorised {
						t.Fatalf("%s: gov sees authorised field %s", where, f.Code)
					}
					if strings.Contains(f.Value, "19900101") {
						t.Fatalf("%s: gov sees a clear ID number in %s", where, f.Code)
					}
				}
				if !slices.Contains(codes(ds[Self]), "cf_xdr_mc") && !slices.Contains(codes(ds[Self]), "xk_xdr_mc") {
					t.Fatalf("%s: owner misses the name field", where)
				}
			}
		}
	}
}

func TestMasking(t *testing.T) {
	now := day(2026, 6, 1)
	e := engineAt(t, &now)
	get := func(d Decision, code string) string {
		for _, f := range d.Fields {
			if f.Code == code {
				return f.Value
			}
		}
		return "<absent>"
	}
	lic := licence(person, "2099-12-31")
	// Natural persons are never public, whatever the record (PublicSubject).
	if pub := e.Decide(lic, person, Public, Marks{}); pub.Visible || pub.Reason != PersonNotPublic || pub.Published || len(pub.Fields) > 0 {
		t.Fatalf("public view of a person's licence: %+v", pub)
	}
	gov := e.Decide(lic, person, Gov, Marks{})
	if get(gov, "xk_xdr_mc") != "张**" || get(gov, "xk_xdr_zjhm") != "350102********1234" {
		t.Fatalf("gov view: name %q id %q", get(gov, "xk_xdr_mc"), get(gov, "xk_xdr_zjhm"))
	}
	self := e.Decide(lic, person, Self, Marks{})
	if get(self, "xk_xdr_mc") != "张三丰" || get(self, "xk_xdr_zjhm") != "350102199001011234" {
		t.Fatalf("own view is masked: %+v", self.Fields)
	}
	// An organisation's name is never masked.
	if d := e.Decide(licence(org, "2099-12-31"), org, Public, Marks{}); get(d, "xk_xdr_mc") != org.Name {
		t.Fatalf("organisation name masked: %q", get(d, "xk_xdr_mc"))
	}
	if got := MaskPhone("13812345678"); got != "138****5678" {
		t.Fatalf("MaskPhone = %q", got)
	}
	// Source is the department's name.
	if d := e.Decide(penalty(org, "SAMR-350100", "罚款", "50", ""), org, Public, Marks{}); d.Source != "福州市市场监督管理局" || d.Domain != "market_regulation" {
		t.Fatalf("source %q domain %q", d.Source, d.Domain)
	}
	if d := e.Decide(penalty(org, "NDRC-350100", "罚款", "50", ""), org, Audience("robot"), Marks{}); d.Visible || d.Reason != BadAudience {
		t.Fatalf("unknown audience: %+v", d)
	}
}
