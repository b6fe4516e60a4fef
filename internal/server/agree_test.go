package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/sanction"
)

// deptKey makes a department operator account for dept and returns its
// API key.
func (e *env) deptKey(dept string) string {
	e.t.Helper()
	accs := &auth.Accounts{Store: e.st}
	name := "t-" + strings.ToLower(dept)
	if _, err := accs.CreateAccount(e.t.Context(), name, "", credit.RoleDept, dept, "", password); err != nil {
		e.t.Fatal(err)
	}
	key, _, err := accs.NewKey(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return key
}

// uploadGen generates a file of o and uploads it as the department key
// belongs to, waiting for its batch.
func (e *env) uploadGen(key string, o gen.RecordOptions, rows int) {
	e.t.Helper()
	it, err := e.cat.Item(o.Item)
	if err != nil {
		e.t.Fatal(err)
	}
	g, err := gen.NewRecords(o)
	if err != nil {
		e.t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gen.WriteFile(&buf, it, g, gen.FileOptions{Format: "csv", Style: "codes", Rows: rows}); err != nil {
		e.t.Fatal(err)
	}
	b := e.upload(key, "item="+o.Item+"&file_name="+o.Item+"-"+o.Dept.Code+".csv", "text/csv", buf.Bytes())
	if done := e.waitBatch(key, b["id"].(string)); done["status"] != "done" {
		e.t.Fatalf("batch %s: %v", o.Item, done)
	}
}

// TestListsAgreeEverywhere builds a city's worth of random list data the
// ways it really arrives (a court's, a market regulator's and a tax
// bureau's files, reported list decisions, revocations and fulfilments,
// decisions made on the platform, red lists with subjects the bar keeps
// off) and reads every place that shows list membership through its
// public interface: the published black and red lists (every page), each
// subject's public page, the hit check for every subject (natural persons
// by ID number), and the console's counts. They must agree on every
// subject and list, and the hit check must return exactly the measures the
// measure list gives for the list, the matter and the caller's department.
func TestListsAgreeEverywhere(t *testing.T) {
	for _, seed := range []uint64{3, 11} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { listsAgree(t, seed) })
	}
}

func listsAgree(t *testing.T, seed uint64) {
	e := newEnv(t)
	ctx := t.Context()
	const pop = 90
	court, tax, samr := e.deptKey("COURT-350100"), e.dept2, e.keys[credit.RoleDept]
	dept := func(code string) *catalog.Department { d, _ := e.cat.Department(code); return d }
	base := gen.RecordOptions{Seed: seed, Subjects: pop, Now: e.clock.Now(), Regions: []string{"350100", "350102", "350103"}}
	file := func(key, item, deptCode string, rows, from, to int) {
		o := base
		o.Item, o.Dept, o.From, o.To = item, dept(deptCode), from, to
		e.uploadGen(key, o, rows)
	}
	file(court, "court_defaulter", "COURT-350100", 50, 0, 60)
	file(samr, "admin_penalty", "SAMR-350100", 140, 0, 60)
	file(tax, "honour", "TAX-350100", 25, 50, pop)
	file(samr, "honour", "SAMR-350100", 25, 45, pop)

	// The court revokes two listings and reports one obligation met.
	courtRecs, err := e.st.NewestRecordsByItems(ctx, []string{"court_defaulter"}, "", 1000)
	if err != nil || len(courtRecs) < 6 {
		t.Fatalf("court records: %d, %v", len(courtRecs), err)
	}
	for i, r := range courtRecs[:3] {
		path, body := "/api/v1/records/"+r.ID+"/revocations", map[string]any{"reason": "执行依据被撤销"}
		if i == 2 {
			f := credit.Fields{}
			for k, v := range r.Fields {
				f[k] = v
			}
			f["sx_lxqk"] = "全部履行"
			path, body = "/api/v1/records/"+r.ID+"/corrections", map[string]any{"reason": "已全部履行", "fields": f}
		}
		if res := e.do(req{method: "POST", path: path, key: court, body: body}); res.status != http.StatusCreated {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
	}
	// The tax bureau reports two of its A-grade taxpayers on its black
	// list: their red entries are barred.
	taxHonours, err := e.st.NewestRecordsByItems(ctx, []string{"honour"}, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	barred := 0
	for _, h := range taxHonours {
		if h.Dept != "TAX-350100" || h.Kind == credit.Person || barred == 2 {
			continue
		}
		s, err := e.st.Subject(ctx, h.SubjectID)
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"item": "serious_dishonest_list", "subject_id": s.ID, "fields": credit.Fields{
			"yz_mc": s.Name, "yz_lb": catalog.SubjectKindLabel(s.Kind), "yz_shxym": s.Code, "yz_frdb": "林某", "yz_md": "重大税收违法失信主体名单",
			"yz_lrsy": "虚开增值税专用发票", "yz_rdyj": "《重大税收违法失信主体信息公布管理办法》", "yz_wsh": fmt.Sprintf("榕税稽罚〔2026〕%d号", barred+1),
			"yz_lrrq": e.clock.Date(-20), "yz_rdjg": "国家税务总局福州市税务局", "yz_rdjgdm": authorityCode}}
		if res := e.do(req{method: "POST", path: "/api/v1/records", key: tax, body: body}); res.status != http.StatusCreated {
			t.Fatalf("tax list report: %d %s", res.status, res.body)
		}
		barred++
	}
	// The market regulator lists serious offenders on the platform, with
	// notice; the credit office names honoured companies 诚信典型 (the bar
	// refuses those with a serious record or a listing).
	officer := sanction.Actor{Name: "t-dept", Role: credit.RoleDept, Dept: deptCode}
	office := sanction.Actor{Name: "t-reviewer", Role: credit.RoleReviewer}
	penalties, err := e.st.NewestRecordsByItems(ctx, []string{"admin_penalty"}, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var noticed []string
	for _, p := range penalties {
		it, _ := e.cat.Item(p.Item)
		if len(noticed) == 6 || publish.WindowOf(e.cat, it, &p, nil).Severity != credit.SeveritySerious || p.Kind == credit.Person {
			continue
		}
		en, err := e.sanc.Propose(ctx, officer, sanction.Proposal{List: "samr_serious_illegal", SubjectID: p.SubjectID, BasisRecords: []string{p.ID}, Grounds: "严重违法"})
		if credit.Is(credit.Conflict, err) {
			continue // already proposed on another of its penalties
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sanc.Notice(ctx, officer, en.ID, sanction.NoticeInput{DocNo: "告" + en.ID[:8]}); err != nil {
			t.Fatal(err)
		}
		noticed = append(noticed, en.ID)
	}
	refused := 0
	for _, h := range taxHonours {
		if h.Dept != deptCode {
			continue
		}
		en, err := e.sanc.Propose(ctx, office, sanction.Proposal{List: "honest_typical", SubjectID: h.SubjectID, BasisRecords: []string{h.ID}, Grounds: "诚信典型"})
		if credit.Is(credit.Conflict, err) {
			refused++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.sanc.Decide(ctx, office, en.ID, sanction.DecisionInput{DocNo: "信" + en.ID[:8]}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(20 * 24 * time.Hour)
	for i, id := range noticed {
		if i%3 == 2 {
			continue // left in notice: not listed
		}
		if _, err := e.sanc.Decide(ctx, officer, id, sanction.DecisionInput{DocNo: "决" + id[:8]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.sanc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if refused == 0 || len(noticed) < 3 || barred < 2 {
		t.Fatalf("the data does not exercise the rules: %d red proposals refused, %d notices, %d barred", refused, len(noticed), barred)
	}

	// What the published lists say: subject → its lists.
	published := map[string][]string{}
	for _, kind := range []string{"black", "red"} {
		for off := 0; ; {
			r := e.get(fmt.Sprintf("/api/v1/lists/%s?offset=%d&limit=37", kind, off))
			var page struct {
				Entries []publish.ListEntry `json:"entries"`
				More    bool                `json:"more"`
			}
			if r.status != http.StatusOK || json.Unmarshal(r.body, &page) != nil {
				t.Fatalf("list %s at %d: %d %s", kind, off, r.status, r.body)
			}
			for _, le := range page.Entries {
				published[le.SubjectID] = append(published[le.SubjectID], le.Decision.Item)
			}
			off += len(page.Entries)
			if !page.More {
				break
			}
		}
	}

	// The portal's list type pages, entry pages and subject pages say
	// the same.
	portalListsAgree(t, e, published)

	// The hit check of every subject, for several matters.
	biz, err := e.st.Account(ctx, e.names[credit.RoleBusiness])
	if err != nil {
		t.Fatal(err)
	}
	matters := []string{"gov_procurement", "gov_subsidy", "licence_approval", "credit_lending"}
	if err := e.sanc.SetMatters(ctx, biz, matters); err != nil {
		t.Fatal(err)
	}
	g, _ := gen.NewRecords(gen.RecordOptions{Item: "admin_penalty", Seed: seed, Subjects: pop, Regions: base.Regions})
	type subj struct {
		query, id string
		person    bool
	}
	var subjects []subj
	for i := range pop {
		s := g.SubjectAt(i)
		if s.Kind == credit.Person {
			subjects = append(subjects, subj{query: s.IDNo, person: true})
		} else {
			subjects = append(subjects, subj{query: s.Code, id: s.Code})
		}
	}
	counted := map[string]int{} // list → subjects the hit check lists on it
	for _, matter := range matters {
		var qs []map[string]string
		for _, s := range subjects {
			qs = append(qs, map[string]string{"code": s.query})
		}
		r := e.do(req{method: "POST", path: "/api/v1/checks", key: e.keys[credit.RoleBusiness], body: map[string]any{"matter": matter, "subjects": qs}})
		var resp sanction.Response
		if r.status != http.StatusOK || json.Unmarshal(r.body, &resp) != nil {
			t.Fatalf("check %s: %d %s", matter, r.status, r.body)
		}
		for i, res := range resp.Results {
			s := subjects[i]
			if res.Error != "" {
				t.Fatalf("check of %s: %s", s.query, res.Error)
			}
			var lists []string
			for _, l := range res.Lists {
				if l.Via == "" {
					lists = append(lists, l.List)
				}
			}
			if matter == matters[0] {
				for _, l := range lists {
					counted[l]++
				}
			}
			// Every list the published lists show for the subject, and
			// only those (natural persons are never published).
			pub := []string{}
			for _, l := range lists {
				if lt, _ := e.cat.List(l); lt.Kind == catalog.ListBlack || lt.Kind == catalog.ListRed {
					pub = append(pub, l)
				}
			}
			if s.person {
				if len(published[res.SubjectID]) > 0 {
					t.Errorf("natural person %s is on a published list: %v", res.SubjectID, published[res.SubjectID])
				}
			} else if !sameSet(pub, published[s.id]) {
				t.Errorf("%s: the hit check lists it on %v, the published lists on %v", s.id, pub, published[s.id])
			}
			// Exactly the measures the measure list gives.
			measures, incentives := expectedMeasures(e.cat, lists, matter, "finance", s.person)
			if got := codesOf(res.Measures, res.Suspended); !sameSet(got, measures) {
				t.Errorf("%s, %s: measures %v, want %v (lists %v)", s.query, matter, got, measures, lists)
			}
			if got := codesOf(res.Incentives); !sameSet(got, incentives) {
				t.Errorf("%s, %s: incentives %v, want %v (lists %v)", s.query, matter, got, incentives, lists)
			}
			// The subject's public page shows the same published lists.
			if !s.person && matter == matters[0] {
				page := e.get("/api/v1/subjects/" + s.id + "/public")
				var pv struct {
					Sections []publish.SectionView `json:"sections"`
				}
				if page.status == http.StatusNotFound && len(published[s.id]) == 0 && len(lists) == 0 {
					continue // drawn by no file: not registered, on no list
				}
				if page.status != http.StatusOK || json.Unmarshal(page.body, &pv) != nil {
					t.Fatalf("public page of %s: %d", s.id, page.status)
				}
				var shown []string
				for _, sec := range pv.Sections {
					for _, d := range sec.Entries {
						if d.Entry != nil {
							shown = append(shown, d.Entry.List)
						}
					}
				}
				if !sameSet(dedupe(shown), published[s.id]) {
					t.Errorf("%s: its page shows lists %v, the published lists %v", s.id, shown, published[s.id])
				}
			}
		}
	}
	// The console's counts are the hit check's.
	for code, n := range e.sanc.ListedCounts(e.clock.Now()) {
		if n != counted[code] {
			t.Errorf("list %s: the console counts %d, the hit check lists %d", code, n, counted[code])
		}
	}
	if len(published) < 10 {
		t.Fatalf("only %d subjects on published lists: the data is too thin to compare", len(published))
	}
}

// expectedMeasures are the measure codes and incentive codes that lists
// trigger for matter and a caller of department kind, for a subject (a
// natural person when person): an independent reading of the measure list.
func expectedMeasures(cat *catalog.Catalog, lists []string, matter, kind string, person bool) (measures, incentives []string) {
	for _, l := range lists {
		for _, m := range cat.MeasuresFor(l, matter) {
			if !slices.Contains(m.Departments, kind) && !slices.Contains(m.Departments, "all") {
				continue
			}
			if m.Target == "persons" && !person {
				continue
			}
			if m.Incentive {
				incentives = append(incentives, m.Code)
			} else {
				measures = append(measures, m.Code)
			}
		}
	}
	return dedupe(measures), dedupe(incentives)
}

func codesOf(hs ...[]sanction.MeasureHit) []string {
	var out []string
	for _, h := range hs {
		for _, m := range h {
			out = append(out, m.Code)
		}
	}
	return out
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	return slices.Compact(xs)
}

func sameSet(a, b []string) bool {
	return slices.Equal(dedupe(slices.Clone(a)), dedupe(slices.Clone(b)))
}
