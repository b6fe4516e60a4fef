package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// dateOutcome is what the date-sensitive parts of the platform decide in
// one scenario, in terms that do not depend on the day it runs: shares,
// yes/no, working-day distances.
type dateOutcome struct {
	Timeliness         float64         // quality: rows reported within their domain's deadline
	Public             map[string]bool // publication windows: record → on the public page
	RepairEligible     map[string]bool
	ObjectionAcceptDue int  // working days from routing to the acceptance deadline
	NoticeWorkdays     int  // working days of the objection period given in a notice
	NoticeEndsAtMidn   bool // the period ends at 24:00 China time of its last day
	DecideBeforeEnd    int  // status of a decision one second before the period ends
	DecideAtEnd        int  // status of a decision when it has ended
	ListedAfterDecide  bool
	ExpiredRemoved     bool // the expiry sweep removes the entry after its period
	ListedAfterExpiry  bool
}

// TestSameOutcomesOnAnyDate runs the date-sensitive parts of the platform
// (data-quality timeliness, publication windows, repair eligibility,
// working-day deadlines of objections and list notices, list expiry) with
// the clock set to the start, middle and end of a year, the day before a
// national holiday, and a day in 2029 (whose calendar an administrator adds
// first, as the platform requires), with data dated relative to the clock:
// the outcomes must be the same. It is the guard against a test, or the
// platform, that depends on the day it runs.
func TestSameOutcomesOnAnyDate(t *testing.T) {
	dates := []time.Time{
		time.Date(2026, 1, 5, 10, 0, 0, 0, chinatime.Location),   // the first working day of a year
		time.Date(2026, 6, 15, 10, 0, 0, 0, chinatime.Location),  // mid-year
		time.Date(2026, 12, 31, 10, 0, 0, 0, chinatime.Location), // the last day of a year: deadlines run into the next
		time.Date(2026, 9, 30, 10, 0, 0, 0, chinatime.Location),  // the day before 国庆
		time.Date(2029, 3, 14, 10, 0, 0, 0, chinatime.Location),  // a year the embedded calendar lacks
	}
	var first *dateOutcome
	for _, d := range dates {
		t.Run(d.Format(time.DateOnly), func(t *testing.T) {
			got := dateScenario(t, d)
			if first == nil {
				first = &got
				if got.Timeliness <= 0 || got.Timeliness >= 1 || got.NoticeWorkdays != 7 || !got.ListedAfterDecide {
					t.Fatalf("the scenario does not exercise the rules: %+v", got)
				}
				return
			}
			if !reflect.DeepEqual(got, *first) {
				t.Errorf("outcome on %s differs from %s:\n got %+v\nwant %+v", d.Format(time.DateOnly), dates[0].Format(time.DateOnly), got, *first)
			}
		})
	}
}

func dateScenario(t *testing.T, start time.Time) dateOutcome {
	e := newEnvAt(t, start, nil)
	ctx := t.Context()
	admin, dept, subj := e.keys[credit.RoleAdmin], e.keys[credit.RoleDept], e.keys[credit.RoleSubject]
	var out dateOutcome
	// A year the calendar lacks is added by an administrator, with its
	// next (deadlines may run into it).
	for y := start.Year(); y <= start.Year()+1; y++ {
		if e.do(req{method: "GET", path: fmt.Sprintf("/api/v1/calendar/deadline?from=%d-03-02&days=1", y)}).status == http.StatusOK {
			continue
		}
		year := map[string]any{"year": y, "source": "test: weekends and 元旦 only", "uncertain": true,
			"holidays": []map[string]string{{"from": fmt.Sprintf("%d-01-01", y), "to": fmt.Sprintf("%d-01-01", y), "name": "元旦"}}}
		if r := e.do(req{method: "PUT", path: fmt.Sprintf("/api/v1/calendar/years/%d", y), key: admin, body: year}); r.status != http.StatusOK {
			t.Fatalf("add calendar year %d: %d %s", y, r.status, r.body)
		}
	}
	cal := e.cal

	// Quality: four rows reported two days after their decision, two
	// ninety days after: the market regulator has 20 working days.
	var file bytes.Buffer
	for i, days := range []int{-2, -2, -2, -2, -90, -90} {
		f := e.penaltyFields(fmt.Sprintf("榕市监罚〔%d〕q%d号", start.Year(), i), "罚款人民币1万元")
		f["cf_jdrq"] = e.clock.Date(days)
		line, _ := json.Marshal(f)
		file.Write(append(line, '\n'))
	}
	b := e.upload(dept, "item=admin_penalty&file_name=dates.jsonl", "application/x-ndjson", file.Bytes())
	if done := e.waitBatch(dept, b["id"].(string)); done["status"] != "done" {
		t.Fatalf("batch: %v", done)
	}
	var q struct {
		Departments []struct {
			Timeliness float64 `json:"timeliness"`
		} `json:"departments"`
	}
	if r := e.do(req{method: "GET", path: "/api/v1/quality", key: dept}); r.status != http.StatusOK || json.Unmarshal(r.body, &q) != nil || len(q.Departments) != 1 {
		t.Fatalf("quality: %d %s", r.status, r.body)
	} else {
		out.Timeliness = q.Departments[0].Timeliness
	}

	// Publication windows and repair: a 20万元 fine of thirteen months ago
	// (一般: one to three years), a 3万元 fine of four months ago and one
	// of a month ago (轻微: three months).
	record := func(name, amount string, months int) string {
		body := e.recordBody(orgCode)
		f := body["fields"].(credit.Fields)
		f["cf_nr_fk"], f["cf_jdrq"] = amount, chinatime.Format(e.clock.Now().AddDate(0, months, 0))
		r := e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: body})
		if r.status != http.StatusCreated {
			t.Fatalf("record %s: %d %s", name, r.status, r.body)
		}
		return r.json(t)["record"].(map[string]any)["id"].(string)
	}
	recs := map[string]string{"general_13m": record("general_13m", "20", -13), "minor_4m": record("minor_4m", "3", -4), "minor_1m": record("minor_1m", "3", -1)}
	page := string(e.get("/api/v1/subjects/" + orgCode + "/public").body)
	out.Public, out.RepairEligible = map[string]bool{}, map[string]bool{}
	for name, id := range recs {
		out.Public[name] = bytes.Contains([]byte(page), []byte(id))
		r := e.do(req{method: "GET", path: "/api/v1/repairs/eligibility?subject=" + orgCode + "&record=" + id, key: subj})
		out.RepairEligible[name] = r.status == http.StatusOK && r.json(t)["eligible"] == true
	}

	// An objection: routed at once, accepted within 2 working days.
	r := e.do(req{method: "POST", path: "/api/v1/objections", key: subj, body: map[string]any{"subject_id": orgCode, "record_id": recs["minor_1m"], "reasons": "金额有误"}})
	if r.status != http.StatusCreated {
		t.Fatalf("objection: %d %s", r.status, r.body)
	}
	var filed struct {
		Case credit.Case `json:"case"`
	}
	if err := json.Unmarshal(r.body, &filed); err != nil {
		t.Fatal(err)
	}
	out.ObjectionAcceptDue, _ = cal.Between(e.clock.Now(), filed.Case.Due)

	// A list notice and decision: 7 working days, to 24:00 of the last.
	serious := e.recordBody(orgCode)
	serious["fields"].(credit.Fields)["cf_cflb"] = "吊销许可证"
	r = e.do(req{method: "POST", path: "/api/v1/records", key: dept, body: serious})
	basis := r.json(t)["record"].(map[string]any)["id"].(string)
	base := "/api/v1/lists/samr_serious_illegal/entries"
	r = e.do(req{method: "POST", path: base, key: dept, body: map[string]any{"subject_id": orgCode, "basis_records": []string{basis}, "grounds": "吊销许可证"}})
	if r.status != http.StatusCreated {
		t.Fatalf("proposal: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	r = e.do(req{method: "POST", path: base + "/" + id + "/notice", key: dept, body: map[string]any{"doc_no": "告1"}})
	var en sanction.Entry
	if r.status != http.StatusOK || json.Unmarshal(r.body, &en) != nil {
		t.Fatalf("notice: %d %s", r.status, r.body)
	}
	end := en.Detail.ObjectionDeadline
	out.NoticeWorkdays, _ = cal.Between(e.clock.Now(), end.Add(-time.Nanosecond))
	out.NoticeEndsAtMidn = end.Equal(chinatime.Date(end))
	e.clock.Set(end.Add(-time.Second))
	out.DecideBeforeEnd = e.do(req{method: "POST", path: base + "/" + id + "/decision", key: dept, body: map[string]any{"doc_no": "决1"}}).status
	e.clock.Set(end)
	out.DecideAtEnd = e.do(req{method: "POST", path: base + "/" + id + "/decision", key: dept, body: map[string]any{"doc_no": "决1"}}).status
	listed := func() bool {
		t.Helper()
		biz, _ := e.st.Account(ctx, e.names[credit.RoleBusiness])
		if err := e.sanc.SetMatters(ctx, biz, []string{"gov_procurement"}); err != nil {
			t.Fatal(err)
		}
		r := e.do(req{method: "POST", path: "/api/v1/checks", key: e.keys[credit.RoleBusiness], body: map[string]any{"matter": "gov_procurement", "subjects": []map[string]string{{"code": orgCode}}}})
		var resp sanction.Response
		if r.status != http.StatusOK || json.Unmarshal(r.body, &resp) != nil {
			t.Fatalf("check: %d %s", r.status, r.body)
		}
		return resp.Results[0].Listed
	}
	out.ListedAfterDecide = listed()

	// Expiry: past its period the entry lists no one, and the sweep
	// writes its removal.
	got, err := e.sanc.Entry(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(got.Detail.Until.Add(time.Minute))
	n, err := e.sanc.RemoveExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = e.sanc.Entry(ctx, id)
	out.ExpiredRemoved = n >= 1 && got.State == credit.StepRemoved && got.Detail.RemovalReason == sanction.RemoveExpiry
	out.ListedAfterExpiry = listed()
	return out
}
