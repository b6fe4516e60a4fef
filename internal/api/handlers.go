package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/uscc"
)

//go:embed openapi.json
var openapiDoc []byte

// OpenAPIDocument returns the embedded OpenAPI 3.1 document.
func OpenAPIDocument() []byte { return append([]byte(nil), openapiDoc...) }

func (a *API) openAPI(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	return http.StatusOK, json.RawMessage(openapiDoc), nil
}

// --- sessions ---

type loginInput struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	var in loginInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Target = "account:" + clip(in.Name, 64)
	token, s, acc, err := a.accounts.Login(r.Context(), in.Name, in.Password, httpx.RemoteIP(r))
	if err != nil {
		return 0, nil, err
	}
	auth.SetSessionCookie(w, r, token)
	c.P = auth.Principal{Account: acc, Role: acc.Role, Via: "session"}
	return http.StatusCreated, map[string]any{"account": acc, "expires_at": s.Expires}, nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	if ck, err := r.Cookie(auth.SessionCookie); err == nil && c.P.Via == "session" {
		if err := a.accounts.Logout(r.Context(), ck.Value); err != nil {
			return 0, nil, err
		}
	}
	auth.ClearSessionCookie(w, r)
	return http.StatusNoContent, nil, nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	return http.StatusOK, map[string]any{"account": c.P.Account, "role": c.P.Role, "via": c.P.Via}, nil
}

// --- codes ---

type problemView struct {
	Kind    uscc.ProblemKind `json:"kind"`
	Pos     int              `json:"pos,omitempty"`
	Got     string           `json:"got,omitempty"`
	Want    string           `json:"want,omitempty"`
	Message string           `json:"message"`
	// MessageZh is the message in Chinese.
	MessageZh string `json:"message_zh,omitempty"`
}

type codeView struct {
	Code           string        `json:"code"`
	Status         uscc.Status   `json:"status"`
	Reason         string        `json:"reason"`
	ReasonZh       string        `json:"reason_zh,omitempty"`
	Problems       []problemView `json:"problems"`
	Authority      string        `json:"authority,omitempty"`
	AuthorityName  string        `json:"authority_name,omitempty"`
	EntityType     string        `json:"entity_type,omitempty"`
	EntityTypeName string        `json:"entity_type_name,omitempty"`
	Region         string        `json:"region,omitempty"`
	RegionName     string        `json:"region_name,omitempty"`
	OrgCode        string        `json:"org_code,omitempty"`
}

// checkCode checks unified social credit codes only: resident ID numbers
// are personal data and have no business in a public URL (and its logs).
func (a *API) checkCode(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	code := r.PathValue("code")
	if utf8.RuneCountInString(code) > 64 {
		return 0, nil, credit.Say("api.checkCode", credit.Invalid, "统一社会信用代码为18位", "a unified social credit code has 18 characters")
	}
	if uscc.CheckResidentID(code).Status == uscc.Valid {
		// Not echoed: the number is personal data.
		return 0, nil, credit.Say("api.checkCode", credit.Invalid, "这是居民身份证号码；此处只校验统一社会信用代码", "this is a resident ID number; only unified social credit codes are checked here")
	}
	res := uscc.CheckUSCC(code)
	v := codeView{
		Code: res.Code, Status: res.Status, Reason: res.Reason(), ReasonZh: res.ReasonZh(), Problems: []problemView{},
		Authority: res.Authority, AuthorityName: res.AuthorityName,
		EntityType: res.EntityType, EntityTypeName: res.EntityTypeName,
		Region: res.Region, RegionName: uscc.RegionName(res.Region), OrgCode: res.OrgCode,
	}
	for _, p := range res.Problems {
		v.Problems = append(v.Problems, problemView{Kind: p.Kind, Pos: p.Pos, Got: p.Got, Want: p.Want, Message: p.Msg, MessageZh: p.MsgZh})
	}
	return http.StatusOK, v, nil
}

// --- catalogue ---

func (a *API) catalogIndex(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	return http.StatusOK, catalogSummary(a.cfg.Catalog), nil
}

func (a *API) catalogItem(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	it, err := a.cfg.Catalog.Item(r.PathValue("code"))
	if err != nil {
		return 0, nil, credit.Wrap("api.catalogItem", credit.NotFound, err)
	}
	return http.StatusOK, map[string]any{"catalog_version": a.cfg.Catalog.Version, "item": it}, nil
}

// --- subjects ---

// subjectView is what the API shows of a subject. Sealed and hashed ID
// numbers never appear; persons' names are masked in lists.
type subjectView struct {
	ID           string             `json:"id"`
	Kind         credit.SubjectKind `json:"kind"`
	Code         string             `json:"code,omitempty"`
	Name         string             `json:"name"`
	FormerNames  []string           `json:"former_names,omitempty"`
	OrgType      string             `json:"org_type,omitempty"`
	Region       string             `json:"region,omitempty"`
	LegalRep     string             `json:"legal_rep,omitempty"`
	Status       string             `json:"status,omitempty"`
	RegisteredOn string             `json:"registered_on,omitempty"`
	CodeFlag     string             `json:"code_flag,omitempty"`
	IDMasked     string             `json:"id_masked,omitempty"`
}

func viewSubject(s *credit.Subject, maskName bool) subjectView {
	v := subjectView{
		ID: s.ID, Kind: s.Kind, Code: s.Code, Name: s.Name, FormerNames: s.FormerNames,
		OrgType: s.OrgType, Region: s.Region, LegalRep: s.LegalRep, Status: s.Status,
		CodeFlag: s.CodeFlag, IDMasked: s.IDMasked,
	}
	if !s.RegisteredOn.IsZero() {
		v.RegisteredOn = s.RegisteredOn.In(chinatime.Location).Format(time.DateOnly)
	}
	if maskName && s.Kind == credit.Person {
		v.Name = uscc.MaskName(s.Name)
		v.FormerNames = nil
	}
	return v
}

const searchLimit = 50

// searchSubjects finds organisations by code or part of a name. Natural
// persons are never found by name: only by their exact ID number, by a
// role that reads persons (auth.ReadsPersons), with a purpose, audited.
func (a *API) searchSubjects(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.searchSubjects"
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "请在 q 中填写代码或名称的一部分", "give a code or part of a name in q")
	}
	if utf8.RuneCountInString(q) > 100 {
		return 0, nil, credit.Say(op, credit.Invalid, "q 超过100个字符", "q is longer than 100 characters")
	}
	if uscc.CheckResidentID(q).Status != uscc.Invalid {
		return a.personByID(r, c, q)
	}
	if a.cfg.Search != nil {
		subs, err := a.searchIndex(r.Context(), q)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]any{"query": pii.RedactIDs(q), "limit": searchLimit, "subjects": subs}, nil
	}
	subs, err := Search(r.Context(), a.cfg.Store, q, searchLimit)
	if err != nil {
		return 0, nil, err
	}
	out := make([]subjectView, 0, len(subs))
	for i := range subs {
		out = append(out, viewSubject(&subs[i], true))
	}
	return http.StatusOK, map[string]any{"query": pii.RedactIDs(q), "limit": searchLimit, "subjects": out}, nil
}

// personByID answers a search by an exact resident ID number.
func (a *API) personByID(r *http.Request, c *Call, idno string) (int, any, error) {
	const op = "api.searchSubjects"
	if !auth.ReadsPersons(c.P.Role) {
		return 0, nil, credit.Say(op, credit.Permission, "角色%s不能按身份证号码查找自然人", "role %s may not look natural persons up by ID number", c.P.Role)
	}
	purpose, err := requirePurpose(r, c.P, r.Method, "/api/v1/subjects?q=<ID number>")
	if err != nil {
		return 0, nil, err
	}
	c.Audit, c.Purpose, c.Target = true, purpose, uscc.MaskResidentID(strings.ToUpper(idno))
	out := []subjectView{}
	if a.cfg.Records != nil {
		s, err := a.cfg.Records.PersonByID(r.Context(), idno)
		switch {
		case err == nil:
			out = append(out, viewSubject(s, false))
			c.Target = s.ID
		case !credit.Is(credit.NotFound, err):
			return 0, nil, err
		}
	}
	return http.StatusOK, map[string]any{"query": pii.RedactIDs(idno), "limit": 1, "subjects": out}, nil
}

// subject shows a subject's registration data. A natural person is shown
// to itself; to a role that reads persons, with a purpose, audited; to an
// auditor masked, audited; to anyone else it does not exist.
func (a *API) subject(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	s, err := a.cfg.Store.Subject(r.Context(), id)
	if err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	if s.Kind != credit.Person {
		return http.StatusOK, viewSubject(s, false), nil
	}
	own := c.P.Role == credit.RoleSubject && c.P.Account != nil && c.P.Account.Subject == s.ID
	c.Audit, c.Target = true, s.ID
	switch {
	case own:
		return http.StatusOK, viewSubject(s, false), nil
	case auth.ReadsPersons(c.P.Role):
		if c.Purpose, err = requirePurpose(r, c.P, r.Method, "/api/v1/subjects/{id}"); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, viewSubject(s, false), nil
	case c.P.Role == credit.RoleAuditor:
		v := viewSubject(s, true)
		v.Region = ""
		return http.StatusOK, v, nil
	}
	// The same answer as for an unknown ID, so that no one else can probe
	// who is registered.
	c.Audit = false
	return 0, nil, notFoundSubject(id, nil)
}

// subjectRevisions lists the changes of an organisation's registration
// data, oldest first. Persons have no revisions: their data is their ID.
func (a *API) subjectRevisions(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	s, err := a.cfg.Store.Subject(r.Context(), id)
	if err != nil || s.Kind == credit.Person {
		return 0, nil, notFoundSubject(id, err)
	}
	revs, err := a.cfg.Store.SubjectRevisions(r.Context(), s.ID)
	if err != nil {
		return 0, nil, err
	}
	if revs == nil {
		revs = []credit.SubjectRevision{}
	}
	return http.StatusOK, map[string]any{"subject_id": s.ID, "revisions": revs}, nil
}

func notFoundSubject(id string, err error) error {
	if err != nil && !credit.Is(credit.NotFound, err) {
		return credit.Wrap("api.subject", credit.Other, err)
	}
	return credit.Say("api.subject", credit.NotFound, "没有信用主体%s", "no subject %s", clip(id, 64))
}

type subjectInput struct {
	Kind         string   `json:"kind"` // "org" (default) or "person"
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	FormerNames  []string `json:"former_names"`
	LegalRep     string   `json:"legal_rep"`
	Status       string   `json:"status"`
	RegisteredOn string   `json:"registered_on"`
	IDNumber     string   `json:"id_number"`
}

func (a *API) registerSubject(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.registerSubject"
	var in subjectInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	var (
		s   *credit.Subject
		err error
	)
	switch credit.SubjectKind(in.Kind) {
	case "", credit.Organisation, credit.IndividualBusiness:
		if in.IDNumber != "" {
			return 0, nil, credit.Say(op, credit.Invalid, "组织没有身份证号码（id_number）；自然人请单独登记", "an organisation has no id_number; register the person separately")
		}
		var reg time.Time
		if in.RegisteredOn != "" {
			if reg, err = catalog.ParseDate(in.RegisteredOn); err != nil {
				return 0, nil, credit.Say(op, credit.Invalid, "成立日期（registered_on）：%v", "registered_on: %v", err)
			}
		}
		s, err = a.cfg.Records.PutOrganisation(r.Context(), records.Organisation{
			Code: in.Code, Name: in.Name, FormerNames: in.FormerNames,
			LegalRep: in.LegalRep, Status: in.Status, RegisteredOn: reg, By: c.P.Actor(),
		})
	case credit.Person:
		if in.Code != "" || in.LegalRep != "" || in.RegisteredOn != "" {
			return 0, nil, credit.Say(op, credit.Invalid, "自然人只登记姓名（name）和身份证号码（id_number）", "a natural person has only name and id_number")
		}
		if strings.TrimSpace(in.Name) == "" {
			return 0, nil, credit.Say(op, credit.Invalid, "请填写自然人姓名", "a natural person needs a name")
		}
		// A person already registered is answered by ID and masked number
		// only: registering must not tell the caller a name it did not know.
		if old, err := a.cfg.Records.PersonByID(r.Context(), in.IDNumber); err == nil {
			c.Target = old.ID
			return http.StatusOK, map[string]any{"id": old.ID, "kind": old.Kind, "id_masked": old.IDMasked, "existing": true}, nil
		} else if !credit.Is(credit.NotFound, err) {
			return 0, nil, err
		}
		s, err = a.cfg.Records.PutPerson(r.Context(), in.Name, in.IDNumber)
	default:
		return 0, nil, credit.Say(op, credit.Invalid, "主体类型“%s”无效：请填写“org”或“person”", "kind %q: use \"org\" or \"person\"", clip(in.Kind, 20))
	}
	if err != nil {
		return 0, nil, err
	}
	c.Target = s.ID
	return http.StatusCreated, viewSubject(s, false), nil
}

func (a *API) identity(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.identity"
	id := r.PathValue("id")
	c.Target = id
	s, err := a.cfg.Store.Subject(r.Context(), id)
	if err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	if len(s.IDCipher) == 0 {
		return 0, nil, credit.Say(op, credit.NotFound, "信用主体%s没有登记身份证号码", "subject %s has no identity number on file", s.ID)
	}
	if a.cfg.Sealer == nil {
		return 0, nil, credit.E(op, credit.Unavailable, "no data key is configured")
	}
	clear, err := a.cfg.Sealer.Open(s.IDCipher)
	if err != nil {
		return 0, nil, credit.Wrap(op, credit.Internal, err)
	}
	return http.StatusOK, map[string]any{
		"subject_id": s.ID, "name": s.Name, "id_number": clear, "id_masked": s.IDMasked,
	}, nil
}

func (a *API) subjectRecords(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.subjectRecords"
	id := r.PathValue("id")
	c.Target = id
	// Scope before existence: a subject account learns nothing about
	// other subjects, not even whether they exist.
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != id {
		return 0, nil, credit.Say(op, credit.Permission, "信用主体账号只能查看本主体的信用档案", "a subject account may read only its own credit file")
	}
	subj, err := a.cfg.Store.Subject(r.Context(), id)
	if err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	aud := audienceOf(c.P)
	var scope []string // a grant's items
	switch {
	case c.P.Role == credit.RoleInstitution && r.URL.Query().Get("grant") != "":
		// An institution reads non-public data only under the subject's
		// grant: the records of the items in its scope, as authorised
		// queries see them. Every refusal says why and is audited.
		rp, err := a.reports()
		if err != nil {
			return 0, nil, err
		}
		g := r.URL.Query().Get("grant")
		c.Detail = auth.Detail{Subject: subj.ID, Grant: g, Basis: "grant"}
		gr, err := rp.Grants.Use(r.Context(), c.P, g, subj.ID, auth.Need{Data: true})
		if err != nil {
			return 0, nil, a.grantRefused(c, err)
		}
		scope = gr.Scope
	case c.P.Role == credit.RoleInstitution:
		// Without a grant: what the public sees, and a natural person's
		// file does not exist for it.
		aud = publish.Public
		if subj.Kind == credit.Person {
			return 0, nil, notFoundSubject(id, nil)
		}
	case subj.Kind == credit.Person && c.P.Role != credit.RoleSubject && c.P.Role != credit.RoleAuditor && !auth.ReadsPersons(c.P.Role):
		// A natural person's file: to the person, the roles that read
		// persons and (masked) the auditor.
		return 0, nil, notFoundSubject(id, nil)
	}
	if c.Detail.Subject == "" {
		c.Detail.Subject = subj.ID
	}
	states, err := a.cfg.Records.File(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	if states == nil {
		states = []credit.State{}
	}
	// The publication engine decides what this caller sees; the raw
	// chains (with history) only go to those who see everything of them.
	secs, err := a.cfg.Publish.SectionsOf(r.Context(), states, subj, aud, a.cfg.Marks)
	if err != nil {
		return 0, nil, err
	}
	if scope != nil {
		for i := range secs {
			kept := []publish.Decision{}
			for _, d := range secs[i].Entries {
				if slices.Contains(scope, d.Item) {
					kept = append(kept, d)
				}
			}
			secs[i].Entries = kept
		}
	}
	body := map[string]any{"subject_id": id, "audience": aud, "sections": secs}
	if aud == publish.Admin || aud == publish.Self {
		body["records"] = a.cfg.Publish.Chains(states, aud)
	}
	return http.StatusOK, body, nil
}

// --- records ---

type recordInput struct {
	Item      string        `json:"item"`
	SubjectID string        `json:"subject_id"`
	Fields    credit.Fields `json:"fields"`
	Dept      string        `json:"dept"` // admin only; a department reports as itself
	BatchID   string        `json:"batch_id"`
}

// reportingDept is the department a write is made for: a department
// operator's own, always; an administrator's as stated.
func reportingDept(p auth.Principal, stated string) (string, error) {
	const op = "api.dept"
	stated = strings.TrimSpace(stated)
	if p.Role == credit.RoleDept {
		if stated != "" && stated != p.Account.Dept {
			return "", credit.Say(op, credit.Permission, "部门%s只能报送本部门的信息，不能以%s的名义报送", "department %s may report only its own records, not %s", p.Account.Dept, clip(stated, 64))
		}
		return p.Account.Dept, nil
	}
	if stated == "" {
		return "", credit.Say(op, credit.Invalid, "请在 dept 中指明报送部门", "state the reporting department in dept")
	}
	return stated, nil
}

func (a *API) appendRecord(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.appendRecord"
	var in recordInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	dept, err := reportingDept(c.P, in.Dept)
	if err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(in.Item) == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "请填写信息项（item）", "item is required")
	}
	// Checked before the subject so that the answer names the unknown item
	// (principle 1: nothing outside the catalogue enters a credit file).
	if _, err := a.cfg.Catalog.Item(in.Item); err != nil {
		return 0, nil, credit.Wrap(op, credit.Invalid, err)
	}
	if strings.TrimSpace(in.SubjectID) == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "请填写信用主体（subject_id）", "subject_id is required")
	}
	rec, outcome, err := a.cfg.Records.Append(r.Context(), records.Report{
		Item: in.Item, Dept: dept, BatchID: in.BatchID, SubjectID: in.SubjectID,
		Fields: in.Fields,
	})
	if err != nil {
		return 0, nil, err
	}
	c.Target = rec.ID
	status := http.StatusCreated
	if outcome == records.Unchanged {
		status = http.StatusOK
	}
	return status, map[string]any{"record": rec, "outcome": outcome}, nil
}

type changeInput struct {
	Reason string        `json:"reason"`
	Fields credit.Fields `json:"fields"`
}

// ownerDept is the department a correction or revocation is made in the
// name of: who decided it is who may change it (谁认定、谁修复).
func (a *API) ownerDept(r *http.Request, c *Call, id string) (string, error) {
	const op = "api.record"
	old, err := a.cfg.Store.Record(r.Context(), id)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return "", credit.Say(op, credit.NotFound, "没有信息记录%s", "no record %s", clip(id, 64))
		}
		return "", credit.Wrap(op, credit.Other, err)
	}
	if c.P.Role == credit.RoleDept && old.Dept != c.P.Account.Dept {
		return "", credit.Say(op, credit.Permission, "信息记录%s由部门%s报送，只有该部门可以修改", "record %s was reported by department %s; only it may change it", old.ID, old.Dept)
	}
	return old.Dept, nil
}

func (a *API) correctRecord(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	c.Target = id
	var in changeInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	dept, err := a.ownerDept(r, c, id)
	if err != nil {
		return 0, nil, err
	}
	if len(in.Fields) == 0 {
		return 0, nil, credit.Say("api.correctRecord", credit.Invalid, "更正须提供更正后的全部字段", "a correction gives the record's fields as they should read")
	}
	rec, err := a.cfg.Records.Correct(r.Context(), id, dept, in.Reason, in.Fields)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"record": rec}, nil
}

func (a *API) revokeRecord(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	id := r.PathValue("id")
	c.Target = id
	var in changeInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	if len(in.Fields) > 0 {
		return 0, nil, credit.Say("api.revokeRecord", credit.Invalid, "撤销只需说明理由（reason）", "a revocation takes only a reason")
	}
	dept, err := a.ownerDept(r, c, id)
	if err != nil {
		return 0, nil, err
	}
	rec, err := a.cfg.Records.Revoke(r.Context(), id, dept, in.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"record": rec}, nil
}

// --- audit ---

func (a *API) auditLog(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.auditLog"
	q := r.URL.Query()
	limit, err := queryInt(r, op, "limit", 100, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	f := credit.AuditFilter{Actor: q.Get("actor"), Target: q.Get("target"), Limit: limit}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return 0, nil, credit.Say(op, credit.Invalid, "since 须为 RFC 3339 格式的时间，如 2026-01-02T15:04:05+08:00", "since must be an RFC 3339 time, e.g. 2026-01-02T15:04:05+08:00")
		}
		f.Since = t
	}
	entries, err := a.cfg.Store.Audit(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	if entries == nil {
		entries = []credit.AuditEntry{}
	}
	c.Target = "audit?actor=" + clip(f.Actor, 64) + "&target=" + clip(f.Target, 128)
	return http.StatusOK, map[string]any{"entries": entries}, nil
}

// --- accounts ---

type accountInput struct {
	Name     string      `json:"name"`
	Display  string      `json:"display"`
	Role     credit.Role `json:"role"`
	Dept     string      `json:"dept"`
	Subject  string      `json:"subject"`
	Password string      `json:"password"`
}

func (a *API) createAccount(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	var in accountInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	acc, err := a.accounts.CreateAccount(r.Context(), in.Name, in.Display, in.Role, in.Dept, in.Subject, in.Password)
	if err != nil {
		return 0, nil, err
	}
	c.Target = "account:" + acc.Name
	return http.StatusCreated, acc, nil
}

func (a *API) createKey(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	name := r.PathValue("name")
	c.Target = "account:" + clip(name, 64)
	secret, k, err := a.accounts.NewKey(r.Context(), name)
	if err != nil {
		if credit.Is(credit.NotFound, err) {
			return 0, nil, credit.Say("api.createKey", credit.NotFound, "没有账号%s", "no account %s", clip(name, 64))
		}
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{
		"secret": secret, "key": k,
		"note": "store the secret now: only its hash is kept and it cannot be shown again",
	}, nil
}

// clip shortens caller-supplied text before it is echoed or logged.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// catalogIndexView lists the items without their field definitions, which
// /catalog/items/{code} gives one item at a time.
type catalogIndexView struct {
	Version  string             `json:"version"`
	Versions map[string]string  `json:"versions,omitempty"`
	Items    []catalogItemBrief `json:"items"`
}

type catalogItemBrief struct {
	Code         string               `json:"code"`
	Name         string               `json:"name"`
	NameEn       string               `json:"name_en"`
	Category     string               `json:"category"`
	Sharing      catalog.Sharing      `json:"sharing"`
	SubjectKinds []credit.SubjectKind `json:"subject_kinds"`
}

func catalogSummary(c *catalog.Catalog) catalogIndexView {
	v := catalogIndexView{Version: c.Version, Versions: c.Versions, Items: make([]catalogItemBrief, 0, len(c.Items))}
	for _, it := range c.Items {
		v.Items = append(v.Items, catalogItemBrief{
			Code: it.Code, Name: it.Name, NameEn: it.NameEn, Category: it.Category,
			Sharing: it.Sharing, SubjectKinds: it.SubjectKinds,
		})
	}
	return v
}
