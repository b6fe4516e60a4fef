package exchange

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
)

// Result says what applying a batch did.
type Result struct {
	Origin string
	// Applied counts the facts written, Held those held, Skipped those
	// this node had applied before (a redelivery, the same facts by
	// another transport).
	Applied, Held, Skipped int
	// Duplicate: the whole batch was applied before; nothing was written.
	Duplicate bool
	// To is the origin's position the cursor is at now.
	To int64
}

// keys finds the public key of an origin among the peers.
func (s *Service) keys(ctx context.Context) (Keys, error) {
	peers, err := s.cfg.Store.Peers(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]ed25519.PublicKey{}
	for _, p := range peers {
		if len(p.PublicKey) == ed25519.PublicKeySize && !p.Disabled {
			m[p.ID] = ed25519.PublicKey(p.PublicKey)
		}
	}
	return func(origin string) (ed25519.PublicKey, bool) {
		k, ok := m[origin]
		return k, ok
	}, nil
}

// Apply verifies one batch and applies it: refused whole (signature,
// origin, schema, mismatch) with nothing written, the refusal audited and
// kept as the origin's last error; else every fact not applied before is
// applied or held, and the origin's cursor moves to the batch's end, in
// one transaction. via names the transport for the audit and the logs;
// want, when not empty, is the origin the transport says it came from.
func (s *Service) Apply(ctx context.Context, data []byte, via, want string) (*Result, error) {
	b, err := s.verify(ctx, data, via, want)
	if err != nil {
		return nil, err
	}
	return s.applyVerified(ctx, b, via)
}

// verify decodes and verifies a batch (Decode), auditing a refusal.
func (s *Service) verify(ctx context.Context, data []byte, via, want string) (*Batch, error) {
	keys, err := s.keys(ctx)
	if err != nil {
		return nil, err
	}
	b, err := Decode(data, keys, want)
	if err != nil {
		var re *RefusedError
		if errors.As(err, &re) {
			s.refused(ctx, want, via, re)
		}
		return nil, err
	}
	if s.cfg.Identity != nil && b.Header.Origin == s.cfg.Identity.Node.ID {
		re := refuse(RefuseMismatch, "批次来自本节点自己（%s）：不予接收", "the batch comes from this node itself (%s): refused", b.Header.Origin)
		s.refused(ctx, want, via, re)
		return nil, re
	}
	return b, nil
}

// applyVerified applies a verified batch.
func (s *Service) applyVerified(ctx context.Context, b *Batch, via string) (*Result, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.applyBatch(ctx, b)
		if credit.Is(credit.Conflict, err) && attempt < 3 {
			continue // another process moved the cursor: read it again
		}
		if err != nil {
			s.failed(ctx, b.Header.Origin, err)
			return nil, err
		}
		s.applied(ctx, res, b, via)
		return res, nil
	}
}

// refused audits a refused batch and keeps it as the origin's last error.
func (s *Service) refused(ctx context.Context, origin, via string, re *RefusedError) {
	s.metrics.refused(origin, re.Reason)
	target := origin
	if target == "" {
		target = "unknown"
	}
	s.cfg.Logger.Warn("exchange batch refused", "origin", target, "via", via, "reason", re.Reason, "err", re.Error())
	if err := s.cfg.Store.AppendAudit(ctx, &credit.AuditEntry{ID: credit.NewID(), At: s.now(), Actor: "exchange:" + via, Role: credit.RoleAdmin,
		Action: "exchange.refuse." + re.Reason, Target: target, Outcome: "denied"}); err != nil {
		s.cfg.Logger.Error("audit of a refused batch failed", "err", err)
	}
	if origin != "" {
		_ = s.cfg.Store.NoteExchange(ctx, origin, 0, time.Time{}, credit.Chinese(re.Err)+" / "+re.Error(), s.now())
	}
}

func (s *Service) failed(ctx context.Context, origin string, err error) {
	s.metrics.failed(origin)
	_ = s.cfg.Store.NoteExchange(ctx, origin, 0, time.Time{}, err.Error(), s.now())
}

func (s *Service) applied(ctx context.Context, res *Result, b *Batch, via string) {
	s.metrics.appliedBatch(res, b.Header.At, s.now())
	if res.Applied > 0 || res.Held > 0 {
		s.cfg.Logger.Debug("exchange batch applied", "origin", res.Origin, "via", via, "to", res.To, "applied", res.Applied, "held", res.Held, "skipped", res.Skipped)
	}
	if res.Applied > 0 && s.cfg.Written != nil {
		// The hit-check index and the lists decided elsewhere follow the
		// change feed; on this node they catch up now.
		s.cfg.Written(ctx)
	}
}

// applyBatch converts and writes one verified batch.
func (s *Service) applyBatch(ctx context.Context, b *Batch) (*Result, error) {
	h := b.Header
	cur, err := s.cfg.Store.ExchangeCursor(ctx, h.Origin)
	if err != nil {
		return nil, err
	}
	res := &Result{Origin: h.Origin, To: cur.Pos}
	if h.To <= cur.Pos {
		res.Duplicate, res.Skipped = true, len(b.Facts)
		return res, nil
	}
	if h.From > cur.Pos {
		return nil, credit.Say("exchange.Apply", credit.Unavailable, "来自%[1]s的批次从位置%[2]d开始，本节点只应用到%[3]d：中间的批次尚未到达（请先导入它们，或从快照引导）",
			"the batch of %[1]s starts after position %[2]d, but this node has applied up to %[3]d only: the batches between have not arrived (import them first, or bootstrap from a snapshot)", h.Origin, h.From, cur.Pos)
	}
	var facts []Fact
	for _, f := range b.Facts {
		if f.Pos > cur.Pos {
			facts = append(facts, f)
		} else {
			res.Skipped++
		}
	}
	a, err := s.convert(ctx, h.Origin, facts, nil)
	if err != nil {
		return nil, err
	}
	a.From, a.To, a.Head, a.OriginAt = cur.Pos, h.To, h.Head, h.At
	if err := s.cfg.Store.ApplyExchange(ctx, a); err != nil {
		return nil, err
	}
	res.Applied, res.Held, res.To = len(a.Facts), len(a.Held), h.To
	return res, nil
}

// convert turns facts into what the store writes: each through this
// node's rules (a record through records.Service.Foreign), held when they
// refuse it for want of catalogue data. released, when set, are the held
// facts being retried, in the same order as facts.
func (s *Service) convert(ctx context.Context, origin string, facts []Fact, released []credit.HeldFact) (*credit.ExchangeApply, error) {
	a := &credit.ExchangeApply{Origin: origin, At: s.now()}
	ids := make([]string, len(facts))
	for i, f := range facts {
		ids[i] = f.ID
	}
	done, err := s.cfg.Store.AppliedFacts(ctx, origin, ids)
	if err != nil {
		return nil, err
	}
	needed := map[string]bool{}
	// Subjects whose registration data the batch carries are written by
	// those facts: not needed a second time.
	for _, f := range facts {
		if f.Kind == KindSubject && f.Subject != nil && !done[f.ID] {
			needed[f.Subject.ID] = true
		}
	}
	persons := map[string]*credit.Subject{} // origin's person ID → this node's person
	// The batch's natural persons, found or made in one look-up.
	if err := s.batchPersons(ctx, facts, done, persons); err != nil {
		return nil, err
	}
	inBatch := map[string]bool{}  // records applied by this batch
	heldRecs := map[string]bool{} // records held by this batch
	for i := range facts {
		f := &facts[i]
		if done[f.ID] {
			if released != nil {
				a.Released = append(a.Released, released[i])
			}
			continue
		}
		x := credit.ExchangeFact{FactID: f.ID, Kind: f.Kind}
		hold := func(err error) {
			body, _ := json.Marshal(f)
			reason := credit.Chinese(err)
			if reason == "" {
				reason = err.Error()
			} else {
				reason += " / " + err.Error()
			}
			a.Held = append(a.Held, credit.HeldFact{Origin: origin, FactID: f.ID, Kind: f.Kind, Item: f.Item(), Pos: f.Pos, Reason: reason, Body: body})
		}
		// A natural person travels by its sealed ID number and is keyed
		// here with this node's data key: the facts name it by that.
		var person *credit.Subject
		if f.Person != nil {
			var err error
			if person, err = s.personIn(ctx, f.Person, persons); err != nil {
				if credit.Is(credit.Unavailable, err) || credit.Is(credit.Invalid, err) {
					hold(err)
					if f.Record != nil {
						heldRecs[f.Record.ID] = true
					}
					continue
				}
				return nil, err
			}
			f.renameSubject(person.ID)
		}
		switch f.Kind {
		case KindRecord:
			if f.Record == nil {
				return nil, fmt.Errorf("fact %s: no record", f.ID)
			}
			if sup := f.Record.Supersedes; sup != "" && !inBatch[sup] {
				if heldRecs[sup] {
					hold(credit.Say("", credit.NotFound, "它更正或撤销的信息%s尚在暂存中", "the fact it supersedes, %s, is held", sup))
					heldRecs[f.Record.ID] = true
					continue
				}
				if _, err := s.cfg.Store.Record(ctx, sup); credit.Is(credit.NotFound, err) {
					hold(credit.Say("", credit.NotFound, "它更正或撤销的信息%s本节点没有（尚在暂存或未收到）", "this node does not have the fact it supersedes, %s (held, or not received)", sup))
					heldRecs[f.Record.ID] = true
					continue
				} else if err != nil {
					return nil, err
				}
			}
			rec, err := s.cfg.Records.Foreign(f.Record, s.transitOpen())
			if err != nil {
				if credit.Is(credit.NotFound, err) || credit.Is(credit.Invalid, err) || credit.Is(credit.Permission, err) {
					hold(err)
					heldRecs[f.Record.ID] = true
					continue
				}
				return nil, err
			}
			inBatch[rec.ID] = true
			x.Record = rec
		case KindSubject:
			switch {
			case person != nil:
				sub := *person
				x.Subject = &sub
			case f.Subject == nil || f.Subject.Kind == credit.Person:
				return nil, fmt.Errorf("fact %s: no subject", f.ID)
			default:
				sub := *f.Subject
				x.Subject = &sub
			}
		case KindListEvent:
			if f.ListEvent == nil {
				return nil, fmt.Errorf("fact %s: no list event", f.ID)
			}
			if _, err := s.cfg.Catalog.List(f.ListEvent.List); err != nil {
				hold(err)
				continue
			}
			ev := *f.ListEvent
			if ev.Detail.Origin == "" {
				ev.Detail.Origin = origin
			}
			ev.Detail.Persons, err = s.personsIn(ev.Detail.Persons)
			if err != nil {
				return nil, err
			}
			x.ListEvent = &ev
		case KindMark:
			if f.Mark == nil {
				return nil, fmt.Errorf("fact %s: no mark", f.ID)
			}
			m := *f.Mark
			x.Mark = &m
		case KindCase:
			if f.Case == nil {
				return nil, fmt.Errorf("fact %s: no case", f.ID)
			}
			c := *f.Case
			c.Open = false
			c.TrackHash = "exchange:" + origin + ":" + c.ID
			x.Case, x.CaseEvents = &c, f.CaseEvents
		default:
			return nil, fmt.Errorf("fact %s: unknown kind %q", f.ID, f.Kind)
		}
		if f.Need != nil && !needed[f.Need.ID] && f.Need.Kind != credit.Person {
			needed[f.Need.ID] = true
			n := *f.Need
			n.IDCipher, n.IDHash = nil, ""
			a.Need = append(a.Need, n)
		}
		if person != nil && !needed[person.ID] {
			needed[person.ID] = true
			a.Need = append(a.Need, *person)
		}
		a.Facts = append(a.Facts, x)
		if released != nil {
			a.Released = append(a.Released, released[i])
		}
	}
	return a, nil
}

// personIn is this node's subject for the natural person ref names: the
// one stored, or a new one (written with the batch). Unavailable without
// an exchange key to open the number.
func (s *Service) personIn(ctx context.Context, ref *PersonRef, cache map[string]*credit.Subject) (*credit.Subject, error) {
	if p, ok := cache[ref.ID]; ok {
		return p, nil
	}
	if s.cfg.Transit == nil {
		return nil, credit.Say("exchange.personIn", credit.Unavailable, "本节点未配置交换密钥，无法接收自然人的信息", "this node has no exchange key: facts about natural persons cannot be received")
	}
	clear, err := s.cfg.Transit.Open(ref.Sealed)
	if err != nil {
		return nil, credit.Say("exchange.personIn", credit.Invalid, "自然人的证件号码无法用交换密钥打开：两端的交换密钥不同", "a person's ID number does not open with the exchange key: the two nodes' exchange keys differ")
	}
	p, _, err := s.cfg.Records.Person(ctx, ref.Name, clear)
	if err != nil {
		return nil, err
	}
	cache[ref.ID] = p
	return p, nil
}

// batchPersons fills cache with this node's subjects for the natural persons
// of facts (those not done), in one look-up; a person whose number does
// not open is left out (personIn refuses it, and the fact is held).
func (s *Service) batchPersons(ctx context.Context, facts []Fact, done map[string]bool, cache map[string]*credit.Subject) error {
	if s.cfg.Transit == nil {
		return nil
	}
	var refs []*PersonRef
	var people []records.NamedID
	seen := map[string]bool{}
	for i := range facts {
		ref := facts[i].Person
		if ref == nil || done[facts[i].ID] || seen[ref.ID] {
			continue
		}
		seen[ref.ID] = true
		clear, err := s.cfg.Transit.Open(ref.Sealed)
		if err != nil {
			continue
		}
		refs = append(refs, ref)
		people = append(people, records.NamedID{Name: ref.Name, IDNo: clear})
	}
	if len(people) == 0 {
		return nil
	}
	subs, _, err := s.cfg.Records.Persons(ctx, people)
	if err != nil {
		if credit.Is(credit.Invalid, err) {
			return nil // one by one then: personIn holds the fact with the bad number
		}
		return err
	}
	for i, ref := range refs {
		cache[ref.ID] = subs[i]
	}
	return nil
}

// renameSubject names the subject of f's parts by this node's ID for it.
func (f *Fact) renameSubject(id string) {
	switch {
	case f.Record != nil:
		f.Record.SubjectID = id
	case f.ListEvent != nil:
		f.ListEvent.SubjectID = id
	case f.Mark != nil:
		f.Mark.SubjectID = id
	case f.Case != nil:
		f.Case.SubjectID = id
	}
}

// personsIn turns responsible persons as they travel into this node's:
// the number opened with the exchange key, sealed with the data key, and
// hashed with it so that measures reach the person here.
func (s *Service) personsIn(ps []credit.ResponsiblePerson) ([]credit.ResponsiblePerson, error) {
	out := make([]credit.ResponsiblePerson, 0, len(ps))
	for _, p := range ps {
		q := credit.ResponsiblePerson{Role: p.Role, Name: p.Name, IDMasked: p.IDMasked}
		if len(p.IDCipher) > 0 && s.cfg.Transit != nil && s.cfg.Sealer != nil {
			clear, err := s.cfg.Transit.Open(p.IDCipher)
			if err != nil {
				return nil, err
			}
			if q.IDCipher, err = s.cfg.Sealer.Seal(clear); err != nil {
				return nil, err
			}
			q.IDHash = s.cfg.Sealer.Hash(clear)
		}
		out = append(out, q)
	}
	return out, nil
}

func (s *Service) transitOpen() func(string) (string, error) {
	if s.cfg.Transit == nil {
		return nil
	}
	return s.cfg.Transit.OpenField
}

// RetryHeld applies the held facts this node's catalogue now allows (an
// administrator added the item or the department), origin by origin in
// the order they arrived; the rest stay held. It returns how many were
// applied.
func (s *Service) RetryHeld(ctx context.Context) (int, error) {
	held, err := s.cfg.Store.HeldFacts(ctx, "", 10000)
	if err != nil || len(held) == 0 {
		return 0, err
	}
	byOrigin := map[string][]credit.HeldFact{}
	var origins []string
	for _, h := range held {
		if _, ok := byOrigin[h.Origin]; !ok {
			origins = append(origins, h.Origin)
		}
		byOrigin[h.Origin] = append(byOrigin[h.Origin], h)
	}
	total := 0
	for _, o := range origins {
		hs := byOrigin[o]
		facts := make([]Fact, len(hs))
		for i, h := range hs {
			if err := json.Unmarshal(h.Body, &facts[i]); err != nil {
				return total, fmt.Errorf("held fact %s of %s: %w", h.FactID, o, err)
			}
		}
		a, err := s.convert(ctx, o, facts, hs)
		if err != nil {
			return total, err
		}
		// Facts still held are kept as they are (their reason updated).
		if len(a.Facts) == 0 && len(a.Released) == 0 {
			continue
		}
		cur, err := s.cfg.Store.ExchangeCursor(ctx, o)
		if err != nil {
			return total, err
		}
		a.From, a.To = cur.Pos, cur.Pos
		if err := s.cfg.Store.ApplyExchange(ctx, a); err != nil {
			return total, err
		}
		total += len(a.Facts)
		s.cfg.Logger.Info("held exchange facts applied: the catalogue now has them", "origin", o, "facts", len(a.Facts))
	}
	if total > 0 && s.cfg.Written != nil {
		s.cfg.Written(ctx)
	}
	return total, nil
}
