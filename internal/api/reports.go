package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/report"
	"github.com/xinyong/xinyong/internal/tlog"
)

// Credit reports, authorisations, "who read my data" and the transparency
// log (issue 16). The rules live in report, auth.Grants and tlog; these
// handlers check scope and shape answers.

func (a *API) reportRoutes() []Route {
	const (
		admin       = credit.RoleAdmin
		auditor     = credit.RoleAuditor
		institution = credit.RoleInstitution
		subject     = credit.RoleSubject
	)
	p := Prefix
	return []Route{
		{Method: "POST", Path: p + "/reports", Roles: roles(subject, institution), Audited: true, Action: "report.issue",
			Summary: "Issue a credit report: a subject about itself, an institution under the subject's grant; JSON (the signed envelope) or PDF", Handler: a.issueReport},
		{Method: "GET", Path: p + "/reports", Roles: roles(subject, institution), Action: "report.list",
			Summary: "The reports about the calling subject, or those the calling institution drew, newest first", Handler: a.listReports},
		{Method: "GET", Path: p + "/reports/{no}", Roles: roles(subject, institution), Audited: true, Action: "report.read",
			Summary: "Download an issued report again (its subject or the institution that drew it), JSON or PDF, with a fresh proof of inclusion", Handler: a.getReport},
		{Method: "GET", Path: p + "/reports/{no}/status", Roles: everyone, Action: "report.status",
			Summary: "Public verification of a report by its number: content digest, issuer, times, state (valid, expired, revoked); nothing of its content", Handler: a.reportStatus},
		{Method: "POST", Path: p + "/reports/{no}/revocations", Roles: roles(admin), Audited: true, Action: "report.revoke",
			Summary: "Revoke an issued report, with the reason; it then verifies as revoked", Handler: a.revokeReport},

		{Method: "POST", Path: p + "/grants", Roles: roles(subject), Audited: true, Action: "grant.give",
			Summary: "Authorise an institution to read the subject's data: purpose, scope, validity (at most a year) and number of uses", Handler: a.giveGrant},
		{Method: "GET", Path: p + "/grants", Roles: roles(subject, institution), Action: "grant.list",
			Summary: "The grants the calling subject gave, or the calling institution holds", Handler: a.listGrants},
		{Method: "POST", Path: p + "/grants/{id}/revocations", Roles: roles(subject), Audited: true, Action: "grant.revoke",
			Summary: "Revoke a grant the calling subject gave", Handler: a.revokeGrant},
		{Method: "GET", Path: p + "/subjects/{id}/reads", Roles: roles(subject, admin, auditor), Audited: true, Action: "subject.reads.read",
			Summary: "Who read the subject's data: every audited read and refusal about it, with who, when, purpose and grant or basis", Handler: a.subjectReads},

		{Method: "GET", Path: p + "/log/checkpoint", Roles: everyone, Action: "log.checkpoint",
			Summary: "The transparency log's newest signed checkpoint (C2SP signed note)", Handler: a.logCheckpoint},
		{Method: "GET", Path: p + "/log/proofs/inclusion", Roles: everyone, Action: "log.inclusion",
			Summary: "Proof that a leaf (by index, or a report by number) is in the log, against a checkpoint (the newest, or ?size=)", Handler: a.logInclusion},
		{Method: "GET", Path: p + "/log/proofs/consistency", Roles: everyone, Action: "log.consistency",
			Summary: "Proof that the log at one checkpoint is a prefix of the log at a later one", Handler: a.logConsistency},
		{Method: "GET", Path: p + "/log/facts/{pos}", Roles: roles(admin, auditor), Purpose: true, Action: "log.fact.read",
			Summary: "A fact's entry in the log opened: its content and salt with the proof of inclusion, for `xinyong log verify`", Handler: a.logFact},
	}
}

func (a *API) reports() (*report.Platform, error) {
	if a.cfg.Reports == nil {
		return nil, credit.Say("api.reports", credit.Unavailable, "本节点未启用信用报告服务", "credit reports are not served by this node")
	}
	return a.cfg.Reports, nil
}

type reportInput struct {
	Kind      string   `json:"kind"`
	SubjectID string   `json:"subject_id"`
	GrantID   string   `json:"grant_id"`
	Purpose   string   `json:"purpose"`
	Domains   []string `json:"domains"`
	Years     int      `json:"years"`
	Format    string   `json:"format"`
}

// baseURL is the address a request came to, for reports' verification
// links when no public address is configured.
func baseURL(r *http.Request) string {
	scheme := "http"
	if auth.IsTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *API) issueReport(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.issueReport"
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	var in reportInput
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	req := report.Request{Kind: in.Kind, SubjectID: strings.TrimSpace(in.SubjectID), Requester: c.P.Actor(), Purpose: in.Purpose,
		Domains: in.Domains, Years: in.Years, BaseURL: baseURL(r)}
	if c.P.Role == credit.RoleSubject {
		if req.SubjectID == "" {
			req.SubjectID = c.P.Account.Subject
		}
		c.Target = req.SubjectID
		if req.SubjectID != c.P.Account.Subject {
			return 0, nil, credit.Say(op, credit.Permission, "信用主体只能申请本主体的信用报告", "a subject draws reports about itself only")
		}
		c.Detail = auth.Detail{Subject: req.SubjectID, Basis: string(credit.RoleSubject)}
	} else {
		// An institution: the grant is the way in, checked and used first.
		c.Target = req.SubjectID
		c.Detail = auth.Detail{Subject: req.SubjectID, Grant: strings.TrimSpace(in.GrantID), Basis: "grant"}
		g, err := rp.Grants.Use(r.Context(), c.P, in.GrantID, req.SubjectID, auth.Need{Report: in.Kind})
		if err != nil {
			return 0, nil, a.grantRefused(c, err)
		}
		if req.SubjectID == "" {
			req.SubjectID = g.SubjectID
			c.Detail.Subject = g.SubjectID
		}
		req.Grant, req.Recipient = g, c.P.Account.Display
		if req.Recipient == "" {
			req.Recipient = c.P.Account.Name
		}
		c.Purpose = g.Purpose
	}
	is, err := rp.Reports.Issue(r.Context(), req)
	if err != nil {
		return 0, nil, err
	}
	if c.Purpose == "" {
		c.Purpose = is.Report.Purpose
	}
	c.Target = is.Report.No
	w.Header().Set("X-Report-No", is.Report.No)
	return a.reportFile(rp, in.Format, r, is.Report.No, is.Envelope, http.StatusCreated)
}

// grantRefused records a refused grant's reason in the audit entry.
func (a *API) grantRefused(c *Call, err error) error {
	var gr *auth.GrantRefused
	if errors.As(err, &gr) {
		c.Detail.Basis = "grant refused: " + gr.Reason
	}
	return err
}

// reportFile answers a report as JSON (the envelope, as downloaded) or
// PDF (?format=pdf or "format": "pdf").
func (a *API) reportFile(rp *report.Platform, format string, r *http.Request, no string, env []byte, status int) (int, any, error) {
	if format == "" {
		format = r.URL.Query().Get("format")
	}
	switch format {
	case "", "json":
		return status, fileBody{contentType: "application/json; charset=utf-8", name: "report-" + no + ".json", data: env}, nil
	case "pdf":
		pdf, err := report.RenderPDF(env, rp.Key())
		if err != nil {
			return 0, nil, credit.Wrap("api.reportFile", credit.Internal, err)
		}
		return status, fileBody{contentType: "application/pdf", name: "report-" + no + ".pdf", data: pdf}, nil
	}
	return 0, nil, credit.Say("api.reportFile", credit.Invalid, "格式须为 json 或 pdf", "format is json or pdf")
}

func (a *API) listReports(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	f := credit.ReportFilter{Requester: c.P.Account.Name}
	if c.P.Role == credit.RoleSubject {
		f = credit.ReportFilter{SubjectID: c.P.Account.Subject}
	}
	rs, err := a.cfg.Store.Reports(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	if rs == nil {
		rs = []credit.Report{}
	}
	return http.StatusOK, map[string]any{"reports": rs}, nil
}

func (a *API) getReport(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.getReport"
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	no := r.PathValue("no")
	c.Target = no
	rep, env, err := rp.Reports.Envelope(r.Context(), no)
	if err != nil {
		return 0, nil, err
	}
	mine := (c.P.Role == credit.RoleSubject && rep.SubjectID == c.P.Account.Subject) ||
		(c.P.Role == credit.RoleInstitution && rep.Requester == c.P.Account.Name)
	if !mine {
		// Not yours: as if it did not exist.
		return 0, nil, credit.Say(op, credit.NotFound, "没有编号为%s的信用报告", "no report numbered %s", no)
	}
	c.Detail = auth.Detail{Subject: rep.SubjectID, Grant: rep.GrantID, Basis: string(c.P.Role)}
	if rep.GrantID != "" {
		c.Detail.Basis = "grant"
	}
	return a.reportFile(rp, "", r, no, env, http.StatusOK)
}

func (a *API) reportStatus(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	st, err := rp.Reports.StatusOf(r.Context(), r.PathValue("no"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, st, nil
}

func (a *API) revokeReport(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	no := r.PathValue("no")
	c.Target = no
	if err := rp.Reports.Revoke(r.Context(), no, c.P.Name(), in.Reason); err != nil {
		return 0, nil, err
	}
	st, err := rp.Reports.StatusOf(r.Context(), no)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, st, nil
}

// MaxReportFile bounds an uploaded report to verify.
const MaxReportFile = 20 << 20

// Verification is what verifying an uploaded report says.
type Verification struct {
	Valid    bool                 `json:"valid"`
	Problems []string             `json:"problems,omitempty"`
	Report   *report.Verification `json:"report,omitempty"`
	Status   *report.Status       `json:"status,omitempty"`
}

// VerifyReport verifies a report file (PDF or JSON) against the node's
// published keys and says its state now: the portal's verification page
// (an upload) calls it; programs verify offline (`xinyong report verify`)
// or read a report's status by number.
func VerifyReport(ctx context.Context, rp *report.Platform, b []byte) (*Verification, error) {
	ks, err := rp.KeySet(ctx)
	if err != nil {
		return nil, err
	}
	out := &Verification{Valid: true}
	env := b
	if bytes.HasPrefix(b, []byte("%PDF-")) {
		if env, err = report.VerifyPDF(b, ks); err != nil {
			out.Valid = false
			var me *report.MismatchError
			if errors.As(err, &me) {
				out.Problems = me.Problems
				return out, nil
			}
			return nil, err
		}
	}
	v, err := report.Verify(env, ks, rp.Reports.Time(), nil)
	out.Report = v
	if err != nil {
		out.Valid = false
		var me *report.MismatchError
		if !errors.As(err, &me) {
			return nil, err
		}
		out.Problems = me.Problems
	}
	if v != nil && v.No != "" {
		if st, err := rp.Reports.StatusOf(ctx, v.No); err == nil {
			out.Status = st
			if st.State == report.StateRevoked {
				out.Valid = false
			}
		}
	}
	return out, nil
}

func (a *API) giveGrant(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	var in auth.GrantRequest
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	c.Detail = auth.Detail{Subject: c.P.Account.Subject}
	g, err := rp.Grants.Give(r.Context(), c.P, in)
	if err != nil {
		return 0, nil, err
	}
	c.Target, c.Detail.Grant = g.ID, g.ID
	return http.StatusCreated, g, nil
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	gs, err := rp.Grants.Mine(r.Context(), c.P)
	if err != nil {
		return 0, nil, err
	}
	if gs == nil {
		gs = []credit.Grant{}
	}
	return http.StatusOK, map[string]any{"grants": gs}, nil
}

func (a *API) revokeGrant(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &in); err != nil {
		return 0, nil, err
	}
	id := r.PathValue("id")
	c.Target = id
	c.Detail = auth.Detail{Subject: c.P.Account.Subject, Grant: id}
	if err := rp.Grants.Revoke(r.Context(), c.P, id, in.Reason); err != nil {
		return 0, nil, err
	}
	g, err := a.cfg.Store.Grant(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, g, nil
}

// ReadEntry is one read of a subject's data as the subject sees it.
type ReadEntry struct {
	credit.AuditEntry
	// Who names the reader: the account's display name and, for a
	// department, the department.
	Who string `json:"who"`
	// BasisName names the grant or legal basis of the read.
	BasisName   string `json:"basis_name"`
	BasisNameEn string `json:"basis_name_en"`
}

// Reads lists who read a subject's data, newest first, from the audit
// trail: the API and the portal's page both call it.
func Reads(ctx context.Context, st credit.Store, cat *catalog.Catalog, subjectID string, limit int) ([]ReadEntry, error) {
	es, err := st.Audit(ctx, credit.AuditFilter{Subject: subjectID, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ReadEntry, 0, len(es))
	names := map[string]string{}
	for _, e := range es {
		who, ok := names[e.Actor]
		if !ok {
			who = e.Actor
			if acc, err := st.Account(ctx, e.Actor); err == nil && acc.Display != "" {
				who = acc.Display
			}
			names[e.Actor] = who
		}
		basis := e.Basis
		if basis == "" {
			basis = string(e.Role)
		}
		zh, en := ReadBasisName(cat, basis)
		out = append(out, ReadEntry{AuditEntry: e, Who: who, BasisName: zh, BasisNameEn: en})
	}
	return out, nil
}

func (a *API) subjectReads(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.subjectReads"
	id := r.PathValue("id")
	c.Target = id
	if c.P.Role == credit.RoleSubject && c.P.Account.Subject != id {
		return 0, nil, credit.Say(op, credit.Permission, "信用主体只能查看本主体的查询记录", "a subject account sees only who read its own data")
	}
	if _, err := a.cfg.Store.Subject(r.Context(), id); err != nil {
		return 0, nil, notFoundSubject(id, err)
	}
	c.Detail = auth.Detail{Subject: id, Basis: string(c.P.Role)}
	rs, err := Reads(r.Context(), a.cfg.Store, a.cfg.Catalog, id, 500)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"subject_id": id, "reads": rs}, nil
}

func (a *API) logCheckpoint(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	cp, err := rp.Log.Checkpoint(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"origin": rp.Log.Origin, "size": cp.Size, "root": cp.Root, "checkpoint": cp.Note}, nil
}

func queryInt64(r *http.Request, name string, def int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, credit.Say("api", credit.Invalid, "参数%s须为非负整数", "%s must be a whole number ≥ 0", name)
	}
	return n, nil
}

// InclusionAnswer is a leaf's inclusion proof with the leaf's data.
type InclusionAnswer struct {
	*tlog.Inclusion
	LeafData string `json:"leaf_data"`
	Kind     string `json:"kind"`
}

func (a *API) logInclusion(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	var leaf *credit.LogLeaf
	if no := r.URL.Query().Get("report"); no != "" {
		leaf, err = a.cfg.Store.LogLeafByRef(ctx, tlog.LeafReport, no)
	} else {
		var idx int64
		if idx, err = queryInt64(r, "index", -1); err == nil {
			if idx < 0 {
				return 0, nil, credit.Say("api.logInclusion", credit.Invalid, "请给出 index 或 report", "give index or report")
			}
			leaf, err = a.cfg.Store.LogLeaf(ctx, idx)
		}
	}
	if err != nil {
		return 0, nil, err
	}
	var cp *credit.LogCheckpoint
	if r.URL.Query().Get("size") != "" {
		size, err := queryInt64(r, "size", 0)
		if err != nil {
			return 0, nil, err
		}
		if cp, err = a.cfg.Store.Checkpoint(ctx, size); err != nil {
			return 0, nil, err
		}
	}
	p, err := rp.Log.Prove(ctx, leaf.Index, cp)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, InclusionAnswer{Inclusion: p, LeafData: string(leaf.Data), Kind: leaf.Kind}, nil
}

func (a *API) logConsistency(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	from, err := queryInt64(r, "from", 0)
	if err != nil {
		return 0, nil, err
	}
	to, err := queryInt64(r, "to", -1)
	if err != nil {
		return 0, nil, err
	}
	if r.URL.Query().Get("to") == "" {
		to = -1
	}
	p, err := rp.Log.ProveConsistency(r.Context(), from, to)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p, nil
}

// FactProof is a fact's log entry opened: its content and the salt of its
// commitment, the leaf, and the proof of inclusion.
type FactProof struct {
	InclusionAnswer
	Content string `json:"content"`
	Salt    []byte `json:"salt"`
}

func (a *API) logFact(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	rp, err := a.reports()
	if err != nil {
		return 0, nil, err
	}
	ctx := r.Context()
	pos := r.PathValue("pos")
	c.Target = "log/facts/" + pos
	leaf, err := a.cfg.Store.LogLeafByRef(ctx, tlog.LeafFact, pos)
	if err != nil {
		return 0, nil, err
	}
	n, _ := strconv.ParseInt(pos, 10, 64)
	cs, err := a.cfg.Store.ChangesSince(ctx, n-1, 1)
	if err != nil || len(cs) == 0 || cs[0].Pos != n {
		return 0, nil, credit.Say("api.logFact", credit.NotFound, "变更%s不在变更流中", "change %s is not in the change feed", pos)
	}
	c.Detail.Subject = cs[0].SubjectID
	content, _, err := rp.Log.Content(ctx, cs[0], tlog.LeafVersion(leaf.Data))
	if err != nil {
		return 0, nil, err
	}
	p, err := rp.Log.Prove(ctx, leaf.Index, nil)
	if err != nil {
		return 0, nil, err
	}
	// The content is drawn from what the store holds now, as far as the
	// fact had grown when it was logged: a fact changed since no longer
	// matches its commitment, which is the point.
	return http.StatusOK, FactProof{InclusionAnswer: InclusionAnswer{Inclusion: p, LeafData: string(leaf.Data), Kind: leaf.Kind},
		Content: string(content), Salt: leaf.Salt}, nil
}

// grantRefusals name the reasons a grant's use was refused.
var grantRefusals = map[string][2]string{
	auth.RefuseUnknown:    {"授权不存在", "no such grant"},
	auth.RefuseForeign:    {"非本机构或非该主体的授权", "another institution's or another subject's grant"},
	auth.RefuseRevoked:    {"授权已撤销", "grant revoked"},
	auth.RefuseExpired:    {"授权已过期", "grant expired"},
	auth.RefuseNotYet:     {"授权尚未生效", "grant not yet in effect"},
	auth.RefuseUsedUp:     {"授权次数已用完", "grant used up"},
	auth.RefuseOutOfScope: {"超出授权范围", "outside the grant's scope"},
}

// ReadBasisName names a read basis as the audit trail records it (a
// role's read basis, "grant", or "grant refused: <reason>") in both
// languages, from the catalogue's read bases.
func ReadBasisName(cat *catalog.Catalog, basis string) (string, string) {
	if r, ok := strings.CutPrefix(basis, "grant refused: "); ok {
		n := grantRefusals[r]
		return "拒绝：" + n[0], "refused: " + n[1]
	}
	role := credit.Role(basis)
	if basis == "grant" {
		role = credit.RoleInstitution
	}
	if b := cat.ReadBasisOf(role); b != nil {
		return b.Name, b.NameEn
	}
	return basis, basis
}
