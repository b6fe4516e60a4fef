package sanction

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/uscc"
)

// MaxSubjects is the most subjects one check may carry.
const MaxSubjects = 1000

// SuspendedNote is what a suspended measure says.
const SuspendedNote = "核实期间暂不执行"

// measureTable holds, for each matter and implementing-department kind,
// the measures each list triggers: the measure list resolved once, so a
// check does no catalogue scan.
type measureTable struct {
	byScope map[string]map[string][]*catalog.Measure // matter "\x00" dept kind → list → measures
}

func newMeasureTable(cat *catalog.Catalog) *measureTable {
	t := &measureTable{byScope: make(map[string]map[string][]*catalog.Measure)}
	kinds := []string{}
	for _, k := range cat.DeptKinds {
		kinds = append(kinds, k.Code)
	}
	for _, mt := range cat.Matters {
		for _, k := range kinds {
			byList := make(map[string][]*catalog.Measure)
			for _, lt := range cat.Lists {
				for _, m := range cat.MeasuresFor(lt.Code, mt.Code) {
					if slices.Contains(m.Departments, k) || slices.Contains(m.Departments, "all") {
						byList[lt.Code] = append(byList[lt.Code], m)
					}
				}
			}
			t.byScope[mt.Code+"\x00"+k] = byList
		}
	}
	return t
}

// Caller is who asks: a business system's account, scoped to its
// department and to the matters it handles.
type Caller struct {
	Name    string
	Dept    string
	Matters []string
}

// Query names one subject: by code (unified social credit code, or a
// natural person's resident ID number), or by name where the caller has no
// code. Ref is the caller's own reference, echoed back.
type Query struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
	Ref  string `json:"ref,omitempty"`
}

// Request is one check.
type Request struct {
	Matter   string  `json:"matter"`
	Subjects []Query `json:"subjects"`
}

// ListHit is one list membership in a check result.
type ListHit struct {
	List    string    `json:"list"`
	Name    string    `json:"list_name"`
	Kind    string    `json:"kind"`
	EntryID string    `json:"entry_id"`
	Via     string    `json:"via,omitempty"` // the responsible-person role, when the hit is through one
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until,omitzero"`
	DocNo   string    `json:"decision_doc,omitempty"`
	// UnderVerification names what is being verified; the list's measures
	// are then suspended.
	UnderVerification string `json:"under_verification,omitempty"`
}

// MeasureHit is one measure (or incentive) in a check result, with its
// basis and whether it is mandatory.
type MeasureHit struct {
	Code      string          `json:"code"`
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Mandatory bool            `json:"mandatory"`
	Target    string          `json:"target"`
	Basis     []catalog.Basis `json:"basis"`
	Lists     []string        `json:"lists"`
	Note      string          `json:"note,omitempty"`
}

// Candidate is a listed subject whose name resembles a name query. It is
// never taken as the subject: the caller decides, and an officer can rule
// it out (NotThisSubject).
type Candidate struct {
	SubjectID string  `json:"subject_id"`
	Name      string  `json:"name"`
	Score     float64 `json:"score"`
	Hits
}

// Hits are the memberships and measures of one subject.
type Hits struct {
	Lists      []ListHit    `json:"lists,omitempty"`
	Measures   []MeasureHit `json:"measures,omitempty"`
	Incentives []MeasureHit `json:"incentives,omitempty"`
	Suspended  []MeasureHit `json:"suspended,omitempty"`
}

// Result is the answer for one queried subject.
type Result struct {
	Query     Query  `json:"query"`
	SubjectID string `json:"subject_id,omitempty"`
	Listed    bool   `json:"listed"`
	Hits
	Candidates []Candidate `json:"candidates,omitempty"`
	Error      string      `json:"error,omitempty"`
	ErrorZh    string      `json:"error_zh,omitempty"` // Error in Chinese
}

// Response is the answer to one check.
type Response struct {
	CheckID     string    `json:"check_id"`
	DataVersion int64     `json:"data_version"`
	Matter      string    `json:"matter"`
	Dept        string    `json:"dept"`
	CheckedAt   time.Time `json:"checked_at"`
	Results     []Result  `json:"results"`
}

// Check answers a hit check and logs it. Errors concern the whole request
// (unknown matter, matter out of the caller's scope, too many subjects); a
// malformed single query gets an error in its own result.
func (s *Service) Check(ctx context.Context, c Caller, req Request) (*Response, error) {
	const op = "sanction.Check"
	if _, err := s.Catalog.Matter(req.Matter); err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	if !slices.Contains(c.Matters, req.Matter) {
		if len(c.Matters) == 0 {
			return nil, credit.Say(op, credit.Permission, "账号%s尚未配置核查事项：请管理员设置该账号可以核查的事项",
				"account %s has no matters configured: an administrator must set the matters it may check", c.Name)
		}
		return nil, credit.Say(op, credit.Permission, "账号%[1]s只能核查%[4]s，不能核查%[5]s", "account %[1]s may check only %[2]s, not %[3]s",
			c.Name, strings.Join(c.Matters, ", "), req.Matter, s.mattersZh(c.Matters), s.mattersZh([]string{req.Matter}))
	}
	d, err := s.Catalog.Department(c.Dept)
	if err != nil {
		return nil, credit.Say(op, credit.Permission, "账号%s所属部门“%s”不在目录中", "account %s: department %q is not in the catalogue", c.Name, c.Dept)
	}
	if len(req.Subjects) == 0 {
		return nil, credit.Say(op, credit.Invalid, "请至少提供一个核查对象", "give at least one subject to check")
	}
	if len(req.Subjects) > MaxSubjects {
		return nil, credit.Say(op, credit.Invalid, "一次核查最多%d个对象，本次为%d个：请分批核查", "a check takes at most %d subjects, got %d: split the batch", MaxSubjects, len(req.Subjects))
	}
	snap := s.index.load()
	now := s.now()
	byList := s.table.byScope[req.Matter+"\x00"+d.Kind]
	resp := &Response{CheckID: credit.NewID(), DataVersion: snap.version, Matter: req.Matter, Dept: c.Dept, CheckedAt: now,
		Results: make([]Result, len(req.Subjects))}
	lg := credit.CheckLog{ID: resp.CheckID, At: now, Caller: c.Name, Dept: c.Dept, Matter: req.Matter, Subjects: len(req.Subjects), Version: snap.version}
	for i, q := range req.Subjects {
		r := &resp.Results[i]
		s.lookup(snap, now, byList, q, r)
		if r.Listed {
			lg.Measures = logHits(lg.Measures, r.SubjectID, &r.Hits, false)
		}
		for j := range r.Candidates {
			lg.Measures = logHits(lg.Measures, r.Candidates[j].SubjectID, &r.Candidates[j].Hits, true)
		}
	}
	if err := s.log.add(ctx, lg); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return resp, nil
}

// logHits appends the measures of one subject to the log, once per
// measure.
func logHits(out []credit.CheckMeasure, subjectID string, h *Hits, candidate bool) []credit.CheckMeasure {
	add := func(ms []MeasureHit, suspended, incentive bool) {
		for _, m := range ms {
			dup := false
			for _, o := range out {
				if o.SubjectID == subjectID && o.Measure == m.Code {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			entry := ""
			for _, l := range h.Lists {
				if l.List == m.Lists[0] {
					entry = l.EntryID
					break
				}
			}
			out = append(out, credit.CheckMeasure{SubjectID: subjectID, Measure: m.Code, List: m.Lists[0], EntryID: entry,
				Suspended: suspended, Incentive: incentive, Candidate: candidate})
		}
	}
	add(h.Measures, false, false)
	add(h.Incentives, false, true)
	add(h.Suspended, true, false)
	return out
}

// lookup answers one query from the snapshot. The common case, a subject
// on no list, costs one map lookup and allocates nothing.
func (s *Service) lookup(snap *snapshot, now time.Time, byList map[string][]*catalog.Measure, q Query, r *Result) {
	r.Query = q
	code := strings.TrimSpace(q.Code)
	if code == "" {
		name := strings.TrimSpace(q.Name)
		if name == "" {
			r.Error, r.ErrorZh = "give the subject's code, or its name if it has none", "请提供主体的代码；没有代码的，请提供名称"
			return
		}
		s.candidates(snap, now, byList, name, r)
		return
	}
	// An 18-character code of digits (and a final X) may be a resident ID
	// number or a USCC whose organisation code happens to be all digits:
	// a valid resident ID number is taken as a person.
	if len(code) == 18 && isResidentID(code) && residentChecksumOK(code) {
		if res := uscc.CheckResidentID(code); res.Status != uscc.Invalid {
			s.person(snap, now, byList, res.Code, r)
			return
		}
	}
	code = strings.ToUpper(code)
	b, listed := snap.bySubject.get(code)
	if !listed {
		// Not listed. A code that is not a code at all must not pass as
		// "not listed": a typo would let a listed subject through.
		if usccChecksumOK(code) {
			return
		}
		if res := uscc.CheckUSCC(code); res.Status == uscc.Invalid {
			r.Error = "not a valid unified social credit code or resident ID number: " + res.Reason()
			r.ErrorZh = "不是有效的统一社会信用代码或居民身份证号码：" + res.ReasonZh()
		}
		return
	}
	r.SubjectID = code
	collect(snap, code, decodeMemberships(s.Catalog, b), now, byList, &r.Hits, false)
	r.Listed = len(r.Lists) > 0
}

// isResidentID tells an 18-character resident ID number from a USCC by its
// shape (17 digits and a digit or X), without checking it.
func isResidentID(s string) bool {
	for i := 0; i < 17; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	c := s[17]
	return (c >= '0' && c <= '9') || c == 'X' || c == 'x'
}

// person answers a query by resident ID number: memberships of the person
// as a listed subject, and as a responsible person of listed subjects (落实到人).
func (s *Service) person(snap *snapshot, now time.Time, byList map[string][]*catalog.Measure, idno string, r *Result) {
	if s.Sealer == nil {
		r.Error, r.ErrorZh = "natural persons cannot be checked: no data key configured", "平台未配置数据密钥，无法核查自然人"
		return
	}
	// The query echoes only the masked number.
	r.Query.Code = uscc.MaskResidentID(idno)
	// Under every key the node holds: during a key rotation a stored hash
	// may still be the previous key's.
	hashes := s.Sealer.Hashes(idno)
	self := false
	for _, hash := range hashes {
		// A person's subject ID is derived from the hash under the key of
		// the day it was registered; one registered under an earlier key
		// is known to the index by its stored hash.
		id := credit.PersonID(hash)
		if sid, ok := snap.personIDs.get(hash); ok {
			id = string(sid)
		}
		if b, ok := snap.bySubject.get(id); ok && !self {
			self = true
			r.SubjectID = id
			collect(snap, id, decodeMemberships(s.Catalog, b), now, byList, &r.Hits, true)
		}
		if b, ok := snap.byPerson.get(hash); ok {
			if r.SubjectID == "" {
				r.SubjectID = credit.PersonID(hashes[0])
			}
			collect(snap, "", decodeMemberships(s.Catalog, b), now, byList, &r.Hits, true)
		}
	}
	r.Listed = len(r.Lists) > 0
}

// collect adds the memberships in ms that apply at now (applies) and the
// measures they trigger for the matter. subject is the listed subject the
// memberships are its own (for red-list bars), "" for memberships through
// a responsible person. person says the checked party is a natural
// person, so measures aimed at persons reach it.
func collect(snap *snapshot, subject string, ms []membership, now time.Time, byList map[string][]*catalog.Measure, h *Hits, person bool) {
	for _, m := range ms {
		if !applies(snap, subject, &m, ms, now) {
			continue
		}
		h.Lists = append(h.Lists, ListHit{List: m.lt.Code, Name: m.lt.Name, Kind: string(m.lt.Kind), EntryID: m.entryID, Via: m.via,
			Since: m.since, Until: m.until, DocNo: m.docNo, UnderVerification: m.suspended})
		for _, ms := range byList[m.lt.Code] {
			if !reaches(ms.Target, m.via != "", person) {
				continue
			}
			switch {
			case ms.Incentive:
				h.Incentives = addMeasure(h.Incentives, ms, m.lt.Code, "")
			case m.suspended != "":
				h.Suspended = addMeasure(h.Suspended, ms, m.lt.Code, SuspendedNote)
			default:
				h.Measures = addMeasure(h.Measures, ms, m.lt.Code, "")
			}
		}
	}
	// A measure in force through one membership is not suspended by
	// another that is under verification.
	if len(h.Suspended) > 0 && len(h.Measures) > 0 {
		kept := h.Suspended[:0]
		for _, sm := range h.Suspended {
			if !slices.ContainsFunc(h.Measures, func(x MeasureHit) bool { return x.Code == sm.Code }) {
				kept = append(kept, sm)
			}
		}
		h.Suspended = kept
	}
}

// reaches says whether a measure aimed at target applies: to the listed
// subject (subject/both; persons too when the subject is a natural
// person), or to a responsible person (persons/both).
func reaches(target string, viaPerson, person bool) bool {
	switch target {
	case "both":
		return true
	case "persons":
		return viaPerson || person
	default: // "subject"
		return !viaPerson
	}
}

func addMeasure(out []MeasureHit, m *catalog.Measure, list, note string) []MeasureHit {
	for i := range out {
		if out[i].Code == m.Code {
			if !slices.Contains(out[i].Lists, list) {
				out[i].Lists = append(out[i].Lists, list)
			}
			return out
		}
	}
	return append(out, MeasureHit{Code: m.Code, Name: m.Name, Kind: string(m.Kind), Mandatory: m.Mandatory, Target: m.Target,
		Basis: m.Basis, Lists: []string{list}, Note: note})
}

// Name scores.
const (
	ScoreExact      = 1.0 // the name as written
	ScoreNormalised = 0.9 // equal after NameKey (full-width, spaces, brackets)
	// Substring matches score between 0.5 and 0.8 by how much of the
	// longer name the shorter covers.
	minSubstringRunes = 4
	maxCandidates     = 10
)

// candidates answers a name query with scored candidates among listed
// organisations. Natural persons are not matched by name: they are checked
// by ID number.
func (s *Service) candidates(snap *snapshot, now time.Time, byList map[string][]*catalog.Measure, name string, r *Result) {
	key := NameKey(name)
	ruled := snap.notThis[key]
	score := make(map[string]float64)
	for _, id := range snap.names.ids(key) {
		if d, _ := snap.display.get(id); string(d) == name {
			score[id] = ScoreExact
		} else {
			score[id] = ScoreNormalised
		}
	}
	if utf8.RuneCountInString(key) >= minSubstringRunes {
		kl := float64(utf8.RuneCountInString(key))
		kb := []byte(key)
		snap.names.each(func(k, ids []byte) bool {
			if string(k) == key || !(bytes.Contains(k, kb) || bytes.Contains(kb, k) && utf8.RuneCount(k) >= minSubstringRunes) {
				return true
			}
			ol := float64(utf8.RuneCount(k))
			sc := 0.5 + 0.3*min(kl, ol)/max(kl, ol)
			for _, id := range splitIDs(ids) {
				if sc > score[id] {
					score[id] = sc
				}
			}
			return true
		})
	}
	for id, sc := range score {
		if ruled[id] {
			continue
		}
		d, _ := snap.display.get(id)
		c := Candidate{SubjectID: id, Name: string(d), Score: float64(int(sc*100+0.5)) / 100}
		b, _ := snap.bySubject.get(id)
		collect(snap, id, decodeMemberships(s.Catalog, b), now, byList, &c.Hits, false)
		if len(c.Lists) > 0 {
			r.Candidates = append(r.Candidates, c)
		}
	}
	sort.Slice(r.Candidates, func(i, j int) bool {
		a, b := r.Candidates[i], r.Candidates[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		return a.SubjectID < b.SubjectID
	})
	if len(r.Candidates) > maxCandidates {
		r.Candidates = r.Candidates[:maxCandidates]
	}
}

// Probe answers a check from the index without logging it and returns only
// how many subjects are listed. It exists to measure the index alone
// (`xinyong bench check`, go test -bench); no route calls it.
func (s *Service) Probe(c Caller, req Request) (int, error) {
	d, err := s.Catalog.Department(c.Dept)
	if err != nil {
		return 0, credit.E("sanction.Probe", credit.Permission, "department %q is not in the catalogue", c.Dept)
	}
	if !slices.Contains(c.Matters, req.Matter) {
		return 0, credit.E("sanction.Probe", credit.Permission, "matter %s is not in the caller's scope", req.Matter)
	}
	snap := s.index.load()
	now := s.now()
	byList := s.table.byScope[req.Matter+"\x00"+d.Kind]
	n := 0
	var r Result
	for _, q := range req.Subjects {
		r = Result{}
		s.lookup(snap, now, byList, q, &r)
		if r.Listed {
			n++
		}
	}
	return n, nil
}

// applies reports whether membership m of a subject lists it at now: it is
// in force, and, on a red list, the list's bar does not hold (catalog.Bar:
// no entry in force on a list of a barring kind among ms, no record in
// force of a barring severity). The hit check, the published lists and the
// console's counts all ask this.
func applies(snap *snapshot, subject string, m *membership, ms []membership, now time.Time) bool {
	if !m.active(now) {
		return false
	}
	return m.lt.Bar == nil || !barred(snap, subject, m.lt, ms, now)
}

// barred reports whether red list lt's bar holds for subject at now, given
// its memberships ms.
func barred(snap *snapshot, subject string, lt *catalog.ListType, ms []membership, now time.Time) bool {
	for _, o := range ms {
		if o.via == "" && o.active(now) && slices.Contains(lt.Bar.ListKinds, o.lt.Kind) {
			return true
		}
	}
	until, ok := snap.bars[subject+"\x00"+lt.Code]
	return ok && now.UnixMicro() < until
}
