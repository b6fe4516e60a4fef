package exchange

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/sanction"
)

// feedKinds are the change kinds a feed is made of.
var feedKinds = []credit.ChangeKind{credit.ChangeRecord, credit.ChangeSubject, credit.ChangeListEvent, credit.ChangeVerification, credit.ChangeCase}

// Page is how many change-feed positions one batch covers at most.
const Page = 2000

// MaxBatchBytes bounds a batch's facts when the transport sets no bound
// of its own (HTTP, files); JetStream's is its largest message.
const MaxBatchBytes = 8 << 20

// sends says whether this node sends a peer a kind of fact:
//   - up to a superior: everything of its own (records with corrections
//     and revocations, subjects, list events, marks, case outcomes);
//   - down to a subordinate: lists and decisions (list events, marks, the
//     records of lists decided elsewhere such as a court's 失信被执行人,
//     and case outcomes such as a repair), which apply in its hit checks
//     and published lists;
//   - across to a department: records and subjects as the catalogue's
//     sharing scope allows (无条件共享; 有条件共享 with the purpose the
//     peer stated; 不予共享 never).
func (s *Service) sends(p *credit.Peer, kind string) bool {
	switch p.Relation {
	case credit.PeerSuperior:
		return true
	case credit.PeerSubordinate:
		return kind != KindSubject
	case credit.PeerDepartment:
		return kind == KindRecord || kind == KindSubject
	}
	return false
}

// sharesItem says whether a record of item goes to peer p.
func (s *Service) sharesItem(p *credit.Peer, item string) bool {
	if len(p.Items) > 0 && !slices.Contains(p.Items, item) {
		return false
	}
	it, err := s.cfg.Catalog.Item(item)
	if err != nil {
		return false
	}
	switch p.Relation {
	case credit.PeerSubordinate:
		return listItem(s.cfg.Catalog, item)
	case credit.PeerDepartment:
		switch it.Sharing {
		case catalog.ShareUnconditional:
			return true
		case catalog.ShareConditional:
			return strings.TrimSpace(p.Purposes[item]) != ""
		}
		return false
	}
	return true
}

// listItem says whether records of item make list entries (a list decided
// elsewhere and reported): those are decisions that go down.
func listItem(cat *catalog.Catalog, item string) bool {
	if it, err := cat.Item(item); err == nil && it.ReportsList {
		return true
	}
	for _, lt := range cat.Lists {
		if r := lt.Reported; r != nil && slices.Contains(r.Items, item) {
			return true
		}
	}
	return false
}

// inRegion says whether a subject's region is among the peer's.
func inRegion(p *credit.Peer, subj *credit.Subject) bool {
	if len(p.Regions) == 0 {
		return true
	}
	for _, r := range p.Regions {
		if strings.HasPrefix(subj.Region, strings.TrimRight(r, "0")) {
			return true
		}
	}
	return false
}

// Produced is a batch made for a peer, with what was left out.
type Produced struct {
	Batch *Batch
	// Withheld counts facts in scope that could not be sent (personal
	// data without an exchange key, natural persons).
	Withheld int
}

// Produce makes the batch of this node's own facts for peer p after
// position after, covering at most Page positions. A batch may hold no
// facts and still move the peer on (To > From): the positions were other
// nodes' facts or out of scope.
//
// A batch's facts stay under limit bytes (MaxBatchBytes when <= 0): the
// batch then ends before the fact that would pass it.
func (s *Service) Produce(ctx context.Context, p *credit.Peer, after int64, snapshot bool, limit int) (*Produced, error) {
	const op = "exchange.Produce"
	id := s.cfg.Identity
	if id == nil {
		return nil, credit.Say(op, credit.Unavailable, "本节点尚未设置交换身份（xinyong exchange init）", "this node has no exchange identity (xinyong exchange init)")
	}
	head, err := s.cfg.Store.ChangeHead(ctx)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	cs, err := s.cfg.Store.ChangesSince(ctx, after, Page, feedKinds...)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	to := max(head, after)
	if len(cs) > 0 {
		to = max(to, cs[len(cs)-1].Pos)
		if len(cs) == Page {
			to = cs[len(cs)-1].Pos
		}
	}
	pos := make([]int64, len(cs))
	for i, c := range cs {
		pos[i] = c.Pos
	}
	foreign, err := s.cfg.Store.AppliedPositions(ctx, pos)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	out := &Produced{Batch: &Batch{Header: Header{Origin: id.Node.ID, Feed: p.ID, From: after, To: to, Head: head, Snapshot: snapshot, At: s.now()}}}
	subjects := map[string]*credit.Subject{}
	subject := func(id string) (*credit.Subject, error) {
		if sub, ok := subjects[id]; ok {
			return sub, nil
		}
		sub, err := s.cfg.Store.Subject(ctx, id)
		if credit.Is(credit.NotFound, err) {
			sub, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
		subjects[id] = sub
		return sub, nil
	}
	// need is the subject a fact is about, for a receiver without it; ok
	// false when the fact stays here (outside the peer's regions; a
	// natural person without an exchange key).
	need := func(id string) (about, bool, error) {
		sub, err := subject(id)
		if err != nil || sub == nil {
			return about{}, false, err
		}
		if !inRegion(p, sub) {
			return about{}, false, nil
		}
		if sub.Kind == credit.Person {
			ref, err := s.personOut(sub)
			if err != nil || ref == nil {
				if ref == nil && err == nil {
					out.Withheld++
				}
				return about{}, false, err
			}
			return about{sub: sub, person: ref}, true, nil
		}
		n := *sub
		n.IDCipher, n.IDHash = nil, ""
		return about{sub: sub, org: &n}, true, nil
	}
	if limit <= 0 {
		limit = MaxBatchBytes
	}
	size := 1024 // the header and the signature
	cases := map[string]bool{}
	for _, c := range cs {
		if foreign[c.Pos] {
			continue
		}
		f, err := s.fact(ctx, p, c, need, cases, out)
		if err != nil {
			return nil, credit.Wrap(op, credit.Other, err)
		}
		if f == nil {
			continue
		}
		f.Pos = c.Pos
		line, err := json.Marshal(f)
		if err != nil {
			return nil, credit.Wrap(op, credit.Internal, err)
		}
		if size += len(line) + 1; size > limit && len(out.Batch.Facts) > 0 {
			// The batch ends before this fact: every position before it
			// is covered.
			out.Batch.Header.To = c.Pos - 1
			break
		}
		out.Batch.Facts = append(out.Batch.Facts, *f)
	}
	return out, nil
}

// fact makes the feed line of change c for peer p, or nil when it does
// not go to p.
func (s *Service) fact(ctx context.Context, p *credit.Peer, c credit.Change, need func(string) (about, bool, error), cases map[string]bool, out *Produced) (*Fact, error) {
	st := s.cfg.Store
	switch c.Kind {
	case credit.ChangeRecord:
		if !s.sends(p, KindRecord) || !s.sharesItem(p, c.Tag) {
			return nil, nil
		}
		rec, err := st.Record(ctx, c.Ref)
		if err != nil {
			return nil, err
		}
		ab, ok, err := need(rec.SubjectID)
		if err != nil || !ok {
			return nil, err
		}
		exp, err := s.cfg.Records.Exportable(rec, s.transitSeal())
		if err != nil {
			if credit.Is(credit.Unavailable, err) {
				out.Withheld++
				return nil, nil
			}
			return nil, err
		}
		op := OpAdd
		switch rec.Fact {
		case credit.Correction:
			op = OpMod
		case credit.Revocation:
			op = OpDel
		}
		exp.BatchID = ""
		return &Fact{Op: op, Kind: KindRecord, ID: rec.ID, Need: ab.org, Person: ab.person, Record: exp}, nil
	case credit.ChangeSubject:
		if !s.sends(p, KindSubject) {
			return nil, nil
		}
		ab, ok, err := need(c.Ref)
		if err != nil || !ok {
			return nil, err
		}
		op := OpMod
		if ab.sub.CreatedAt.Equal(ab.sub.UpdatedAt) {
			op = OpAdd
		}
		return &Fact{Op: op, Kind: KindSubject, ID: "S-" + ab.sub.ID + "-" + strconv.FormatInt(c.Pos, 10), Subject: ab.org, Person: ab.person}, nil
	case credit.ChangeListEvent:
		if !s.sends(p, KindListEvent) || (len(p.Lists) > 0 && !slices.Contains(p.Lists, c.Tag)) {
			return nil, nil
		}
		ev, err := st.ListEventByID(ctx, c.Ref)
		if err != nil {
			return nil, err
		}
		if derived, err := s.derived(ctx, ev); err != nil || derived {
			return nil, err
		}
		ab, ok, err := need(ev.SubjectID)
		if err != nil || !ok {
			return nil, err
		}
		e := *ev
		e.Seq = 0
		if e.Detail.Persons, err = s.personsOut(e.Detail.Persons); err != nil {
			return nil, err
		}
		op := OpMod
		switch {
		case e.Step == credit.StepRemoved:
			op = OpDel
		case e.Step == credit.StepProposed || e.Detail.Reported:
			op = OpAdd
		}
		return &Fact{Op: op, Kind: KindListEvent, ID: e.ID, Need: ab.org, Person: ab.person, ListEvent: &e}, nil
	case credit.ChangeVerification:
		if !s.sends(p, KindMark) {
			return nil, nil
		}
		ms, err := st.Verifications(ctx, c.Pos-1, 1)
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 || ms[0].ID != c.Ref {
			return nil, fmt.Errorf("verification mark %s not found at %d", c.Ref, c.Pos)
		}
		m := ms[0]
		var ab about
		if m.SubjectID != "" {
			var ok bool
			if ab, ok, err = need(m.SubjectID); err != nil || !ok {
				return nil, err
			}
		}
		m.Seq = 0
		op := OpAdd
		if !m.Active {
			op = OpDel
		}
		return &Fact{Op: op, Kind: KindMark, ID: m.ID, Need: ab.org, Person: ab.person, Mark: &m}, nil
	case credit.ChangeCase:
		if !s.sends(p, KindCase) {
			return nil, nil
		}
		cs, err := st.Case(ctx, c.Ref)
		if err != nil {
			return nil, err
		}
		// Only outcomes travel: an open case is the deciding unit's work
		// in progress, with deadlines of its own.
		key := cs.ID + "#" + strconv.Itoa(cs.Seq)
		if cs.Open || cases[key] {
			return nil, nil
		}
		cases[key] = true
		ab, ok, err := need(cs.SubjectID)
		if err != nil || !ok {
			return nil, err
		}
		evs, err := st.CaseEvents(ctx, cs.ID)
		if err != nil {
			return nil, err
		}
		for i := range evs {
			if evs[i].Data != nil {
				// Materials and codes stay with the deciding unit.
				delete(evs[i].Data, "track_code")
			}
		}
		cs.TrackHash = ""
		return &Fact{Op: OpMod, Kind: KindCase, ID: key, Need: ab.org, Person: ab.person, Case: cs, CaseEvents: evs}, nil
	}
	return nil, nil
}

// derived says whether a list event is one every node writes for itself
// and so never travels: the removal of an expired entry, and the events of
// an entry of a list decided elsewhere (made from its record, which
// travels), but for its removal on a repair.
func (s *Service) derived(ctx context.Context, ev *credit.ListEvent) (bool, error) {
	if ev.Actor == sanction.ExpiryActor {
		return true, nil
	}
	if ev.Detail.Reported {
		return true, nil
	}
	evs, err := s.cfg.Store.EntryEvents(ctx, ev.EntryID)
	if err != nil {
		return false, err
	}
	if len(evs) == 0 || !evs[0].Detail.Reported {
		return false, nil
	}
	return !(ev.Step == credit.StepRemoved && ev.Detail.RemovalReason == sanction.RemoveRepair), nil
}

// personsOut prepares responsible persons for the journey: the ID number
// sealed with the exchange key instead of this node's data key, the keyed
// hash (this node's) left out; without an exchange key only name, role
// and masked number go.
func (s *Service) personsOut(ps []credit.ResponsiblePerson) ([]credit.ResponsiblePerson, error) {
	out := make([]credit.ResponsiblePerson, 0, len(ps))
	for _, p := range ps {
		q := credit.ResponsiblePerson{Role: p.Role, Name: p.Name, IDMasked: p.IDMasked}
		if len(p.IDCipher) > 0 && s.cfg.Transit != nil && s.cfg.Sealer != nil {
			clear, err := s.cfg.Sealer.Open(p.IDCipher)
			if err != nil {
				return nil, err
			}
			if q.IDCipher, err = s.cfg.Transit.Seal(clear); err != nil {
				return nil, err
			}
		}
		out = append(out, q)
	}
	return out, nil
}

// transitSeal seals a clear personal field with the exchange key; nil
// without one.
func (s *Service) transitSeal() func(string) (string, error) {
	if s.cfg.Transit == nil {
		return nil
	}
	return s.cfg.Transit.SealField
}

// about is the subject a fact is about, as it travels: an organisation
// as it is, a natural person by its ID number sealed with the exchange key.
type about struct {
	sub    *credit.Subject
	org    *credit.Subject
	person *PersonRef
}

// personOut is a natural person as it travels; nil without an exchange
// key (the person's facts then stay here).
func (s *Service) personOut(sub *credit.Subject) (*PersonRef, error) {
	if s.cfg.Transit == nil || s.cfg.Sealer == nil || len(sub.IDCipher) == 0 {
		return nil, nil
	}
	clear, err := s.cfg.Sealer.Open(sub.IDCipher)
	if err != nil {
		return nil, err
	}
	sealed, err := s.cfg.Transit.Seal(clear)
	if err != nil {
		return nil, err
	}
	return &PersonRef{ID: sub.ID, Name: sub.Name, Sealed: sealed}, nil
}
