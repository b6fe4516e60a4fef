// Package report issues credit reports (信用报告): the subject's own
// 公共信用信息报告, the 专项信用报告 that replaces certificates of "no
// illegal or irregular record", and an institution's report under the
// subject's authorisation, in the kinds the catalogue defines
// (reports.json). Content comes from the publication engine for the kind's
// audience at the moment of issue; no rule of visibility lives here.
//
// Every report is signed (Ed25519, over a statement of its number, times
// and content digests) and entered in the transparency log in the same
// transaction as it is stored; it carries its inclusion proof against a
// signed checkpoint. It is downloaded as JSON (the envelope) or PDF (A4,
// the envelope attached, the file's bytes signed too), and verified by
// anyone offline with the platform's published keys (Verify, VerifyPDF).
package report

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publish"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// Store is what the service keeps and reads.
type Store interface {
	credit.ReportStore
	Subject(ctx context.Context, id string) (*credit.Subject, error)
}

// FileSource gives a subject's credit file (records.Service).
type FileSource interface {
	File(ctx context.Context, subjectID string) ([]credit.State, error)
}

// Service issues, serves, verifies and revokes reports.
type Service struct {
	Store   Store
	Catalog *catalog.Catalog
	Publish *publish.Engine
	Marks   publish.MarkSource
	Files   FileSource
	// Sealer seals the kept envelope (it may hold a person's data).
	Sealer *pii.Sealer
	Log    *tlog.Log
	// Key gives the current signing key.
	Key func() *signing.Key
	Now func() time.Time
	// BaseURL is the platform's public address for the verification link
	// (e.g. https://credit.example.gov.cn); a request may give its own.
	BaseURL string
}

// Request asks for a report.
type Request struct {
	Kind      string
	SubjectID string
	// Requester is who asks: a subject for itself, or an institution.
	Requester credit.Actor
	// Purpose is the purpose code a subject states (self_check when
	// empty); an institution's is its grant's.
	Purpose string
	// Grant is the authorisation an institution asks under, checked and
	// used already (auth.Grants.Use).
	Grant *credit.Grant
	// Recipient names the institution on its report.
	Recipient string
	// Domains and Years shape a special report (all domains with
	// departments and the kind's default period when empty).
	Domains []string
	Years   int
	// BaseURL overrides the service's for the verification link.
	BaseURL string
}

// Issued is an issued report: as kept, and its envelope (JSON).
type Issued struct {
	Report   *credit.Report
	Envelope []byte
}

// Time is the service's clock.
func (s *Service) Time() time.Time { return s.now() }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Issue draws, signs, logs and keeps a report.
func (s *Service) Issue(ctx context.Context, req Request) (*Issued, error) {
	const op = "report.Issue"
	k, err := s.Catalog.ReportKind(req.Kind)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	role := req.Requester.Role
	if !k.MayRequest(role) {
		return nil, credit.Say(op, credit.Permission, "%s不能由%s申请", "%s is not drawn by role %s", k.Name, role)
	}
	if role == credit.RoleSubject && req.Requester.Subject != req.SubjectID {
		return nil, credit.Say(op, credit.Permission, "信用主体只能申请本主体的信用报告", "a subject draws reports about itself only")
	}
	purposeCode := req.Purpose
	if role == credit.RoleInstitution {
		if req.Grant == nil || req.Grant.SubjectID != req.SubjectID {
			return nil, credit.Say(op, credit.Permission, "机构须凭信用主体的授权申请%s", "an institution draws %s only under the subject's grant", k.Name)
		}
		purposeCode = req.Grant.Purpose
	} else if purposeCode == "" {
		purposeCode = "self_check"
	}
	pu, err := s.Catalog.Purpose(purposeCode)
	if err != nil {
		return nil, credit.Wrap(op, credit.Invalid, err)
	}
	use := catalog.UseReport
	if role == credit.RoleInstitution {
		use = catalog.UseGrant
	}
	if !pu.For(use) {
		return nil, credit.Say(op, credit.Invalid, "“%s”不是可申请信用报告的用途", "%s is not a purpose a report is drawn for", pu.Name)
	}
	subj, err := s.Store.Subject(ctx, req.SubjectID)
	if err != nil {
		return nil, err
	}
	states, err := s.Files.File(ctx, subj.ID)
	if err != nil {
		return nil, err
	}
	now := s.now().In(chinatime.Location).Truncate(time.Second)
	b := &builder{cat: s.Catalog, eng: s.Publish, marks: s.Marks, now: now}
	if b.marks == nil {
		b.marks = publish.NoMarks{}
	}
	plat := s.Catalog.Reports.Platform
	no, err := newNumber(now)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(req.BaseURL, "/")
	if base == "" {
		base = strings.TrimRight(s.BaseURL, "/")
	}
	body := Body{
		Format: BodyFormat, No: no, Kind: k.Code, KindName: k.Name, KindNameEn: k.NameEn, Layout: k.Layout,
		Issuer: Named{Name: plat.Name, NameEn: plat.NameEn}, LogOrigin: plat.LogOrigin,
		IssuedAt: now.Format(time.RFC3339), ValidUntil: now.AddDate(0, 0, k.ValidityDays).Format(time.RFC3339),
		Audience: k.Audience, Purpose: Named{Code: pu.Code, Name: pu.Name, NameEn: pu.NameEn},
		Recipient: req.Recipient, Subject: b.subjectInfo(subj), Basis: basisText(k.Basis),
		VerifyURL: base + "/verify/" + no,
	}
	for _, n := range k.Notes {
		body.Notes = append(body.Notes, Note{Zh: n.Zh, En: n.En})
	}
	aud := publish.Self
	if k.Audience == catalog.ReportForInstitution {
		aud = publish.Institution
	}
	var items []string
	if g := req.Grant; g != nil {
		body.GrantID = g.ID
		body.Scope = &GrantScope{Kind: g.ScopeKind, Codes: g.Scope}
		if g.ScopeKind == credit.ScopeItems {
			items = g.Scope
		}
	}
	switch k.Layout {
	case catalog.LayoutFile:
		body.Sections, err = b.fileSections(ctx, k, states, subj, aud, items)
	case catalog.LayoutSpecial:
		years := req.Years
		if years <= 0 {
			years = k.PeriodYears
		}
		if years > k.MaxPeriodYears {
			return nil, credit.Say(op, credit.Invalid, "查询期最长%d年", "the period is at most %d years", k.MaxPeriodYears)
		}
		domains := req.Domains
		if len(domains) == 0 {
			for _, d := range s.Catalog.Reports.SpecialDomains {
				if len(s.Catalog.DomainDepartments(d)) > 0 {
					domains = append(domains, d.Code)
				}
			}
		}
		end := chinatime.EndOfDay(now)
		from := end.AddDate(-years, 0, 0)
		body.Period = &Period{From: dateOf(from), To: dateOf(now)}
		body.Domains, err = b.special(ctx, k, states, subj, domains, from, end)
	case catalog.LayoutIndicators:
		body.Indicators, err = b.indicators(ctx, k, states, subj, aud)
	}
	if err != nil {
		return nil, err
	}
	raw, err := marshal(body)
	if err != nil {
		return nil, err
	}
	key := s.Key()
	stmt, sig, err := sign(raw, Statement{No: no, Kind: k.Code, Issuer: plat.Name, LogOrigin: plat.LogOrigin,
		IssuedAt: body.IssuedAt, ValidUntil: body.ValidUntil}, key)
	if err != nil {
		return nil, err
	}
	env := Envelope{Statement: stmt, Signature: sig, Report: raw}
	kept, err := marshal(env)
	if err != nil {
		return nil, err
	}
	sealed, err := s.Sealer.SealBlob(kept)
	if err != nil {
		return nil, err
	}
	var st Statement
	_ = json.Unmarshal(stmt, &st)
	rep := &credit.Report{No: no, Kind: k.Code, SubjectID: subj.ID, Requester: req.Requester.Name, Role: role, Purpose: pu.Code,
		IssuedAt: now, ValidUntil: now.AddDate(0, 0, k.ValidityDays), KeyID: key.ID, Digest: st.Digest,
		Statement: string(stmt), Signature: sig, Envelope: sealed}
	if req.Grant != nil {
		rep.GrantID = req.Grant.ID
	}
	// The report's leaf is appended, and a checkpoint that holds it signed
	// and kept, in the transaction that stores it: the report carries its
	// proof from the first download.
	var (
		cp     *credit.LogCheckpoint
		before credit.LogState
		leaf   []byte
	)
	err = s.Store.IssueReport(ctx, rep, func(h credit.LogState) (*credit.LogAppend, error) {
		a, err := tlog.Append(h, []credit.LogLeaf{{Kind: tlog.LeafReport, Ref: no, Data: LeafData(stmt, sig), At: now}})
		if err != nil {
			return nil, err
		}
		if a.Checkpoint, err = s.Log.Sign(a.State); err != nil {
			return nil, err
		}
		cp, before, leaf = a.Checkpoint, h, a.Leaves[0].Hash
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	// The report is the last leaf of its checkpoint's tree: its proof is
	// the head's compact range before it, with no read of the store.
	if hs, ok := tlog.LastInclusion(before); ok {
		env.Log = &tlog.Inclusion{Origin: s.Log.Origin, Index: rep.LeafIndex, TreeSize: cp.Size, LeafHash: leaf, Hashes: hs, Checkpoint: cp.Note}
	} else if env.Log, err = s.Log.Prove(ctx, rep.LeafIndex, cp); err != nil {
		return nil, err
	}
	out, err := marshal(env)
	if err != nil {
		return nil, err
	}
	return &Issued{Report: rep, Envelope: out}, nil
}

// Envelope returns a kept report's envelope with a proof of inclusion
// against the newest checkpoint.
func (s *Service) Envelope(ctx context.Context, no string) (*credit.Report, []byte, error) {
	rep, err := s.Store.Report(ctx, no)
	if err != nil {
		return nil, nil, err
	}
	kept, err := s.Sealer.OpenBlob(rep.Envelope)
	if err != nil {
		return nil, nil, credit.Wrap("report.Envelope", credit.Internal, err)
	}
	var env Envelope
	if err := json.Unmarshal(kept, &env); err != nil {
		return nil, nil, credit.Wrap("report.Envelope", credit.Internal, err)
	}
	if env.Log, err = s.Log.Prove(ctx, rep.LeafIndex, nil); err != nil {
		return nil, nil, err
	}
	out, err := marshal(env)
	return rep, out, err
}

// State is a report's state as the public verification shows it.
type State string

// Report states.
const (
	StateValid   State = "valid"
	StateExpired State = "expired"
	StateRevoked State = "revoked"
)

// Status is what the public verification page says of a report: no more
// than the report itself says, and less (never its content).
type Status struct {
	No           string    `json:"report_no"`
	Kind         string    `json:"kind"`
	KindName     string    `json:"kind_name"`
	KindNameEn   string    `json:"kind_name_en"`
	Issuer       string    `json:"issuer"`
	IssuerEn     string    `json:"issuer_en"`
	IssuedAt     time.Time `json:"issued_at"`
	ValidUntil   time.Time `json:"valid_until"`
	Digest       string    `json:"digest"`
	KeyID        string    `json:"key_id"`
	LeafIndex    int64     `json:"leaf_index"`
	State        State     `json:"state"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`
	RevokeReason string    `json:"revoke_reason,omitempty"`
}

// StatusOf returns a report's status now.
func (s *Service) StatusOf(ctx context.Context, no string) (*Status, error) {
	rep, err := s.Store.Report(ctx, strings.TrimSpace(no))
	if err != nil {
		return nil, err
	}
	plat := s.Catalog.Reports.Platform
	st := &Status{No: rep.No, Kind: rep.Kind, KindName: rep.Kind, KindNameEn: rep.Kind, Issuer: plat.Name, IssuerEn: plat.NameEn,
		IssuedAt: rep.IssuedAt, ValidUntil: rep.ValidUntil, Digest: rep.Digest, KeyID: rep.KeyID, LeafIndex: rep.LeafIndex, State: StateValid}
	if k, err := s.Catalog.ReportKind(rep.Kind); err == nil {
		st.KindName, st.KindNameEn = k.Name, k.NameEn
	}
	switch {
	case rep.Revocation != nil:
		st.State, st.RevokedAt, st.RevokeReason = StateRevoked, rep.Revocation.At, rep.Revocation.Reason
	case !s.now().Before(rep.ValidUntil):
		st.State = StateExpired
	}
	return st, nil
}

// Revoke revokes an issued report with a reason (an administrator's
// decision; the API and console check the role).
func (s *Service) Revoke(ctx context.Context, no, actor, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return credit.Say("report.Revoke", credit.Invalid, "撤销信用报告须说明理由", "state the reason for revoking the report")
	}
	return s.Store.RevokeReport(ctx, &credit.ReportRevocation{ReportNo: strings.TrimSpace(no), Actor: actor, Reason: strings.TrimSpace(reason), At: s.now()})
}

// numberAlphabet is Crockford's base32: no I, L, O, U to misread.
const numberAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newNumber is a report number: XY, the issue date, and 12 random
// characters (60 bits), so that numbers cannot be guessed or enumerated
// on the public verification page.
func newNumber(now time.Time) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = numberAlphabet[b[i]&31]
	}
	return "XY" + now.In(chinatime.Location).Format("20060102") + "-" + string(b), nil
}

// Platform is what the HTTP surface needs of reports: the report service,
// the subjects' grants, the transparency log and the published key set.
// internal/app builds it; api and web take it whole.
type Platform struct {
	Reports *Service
	Grants  *auth.Grants
	Log     *tlog.Log
	// KeySet is the published key set (every key that ever signed).
	KeySet func(ctx context.Context) (*signing.KeySet, error)
	// Key is the current signing key (PDFs are signed with it).
	Key func() *signing.Key
}
