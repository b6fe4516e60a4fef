package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// The exchange's tables (migration 0019): the node identity, the peers,
// the cursors of the origins this node applies, the facts applied (by
// origin and original ID) and the facts held.

// ExchangeNode returns this node's identity.
func (s *Store) ExchangeNode(ctx context.Context) (*credit.Node, error) {
	const op = "store.ExchangeNode"
	var (
		n  credit.Node
		at int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT node_id, level, region, name, public_key, created_at FROM exchange_node WHERE id = 1`).
		Scan(&n.ID, &n.Level, &n.Region, &n.Name, &n.PublicKey, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.Say(op, credit.NotFound, "本节点尚未设置交换身份（xinyong exchange init）", "this node has no exchange identity yet (xinyong exchange init)")
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	n.CreatedAt = time.UnixMicro(at).UTC()
	return &n, nil
}

// PutExchangeNode sets this node's identity.
func (s *Store) PutExchangeNode(ctx context.Context, n *credit.Node) error {
	const op = "store.PutExchangeNode"
	if n == nil || n.ID == "" || len(n.PublicKey) == 0 {
		return credit.E(op, credit.Invalid, "a node needs an ID and a public key")
	}
	n.CreatedAt = stamp(n.CreatedAt)
	_, err := s.w.ExecContext(ctx, `INSERT INTO exchange_node (id, node_id, level, region, name, public_key, created_at)
		VALUES (1, $1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, level = excluded.level, region = excluded.region,
			name = excluded.name, public_key = excluded.public_key`,
		n.ID, n.Level, n.Region, n.Name, n.PublicKey, n.CreatedAt.UnixMicro())
	return s.fail(op, err)
}

const peerCols = `id, name, level, region, relation, public_key, transport, url, account, api_key, items, lists, regions, purposes, disabled, created_at, updated_at`

// PutPeer creates or replaces a peer.
func (s *Store) PutPeer(ctx context.Context, p *credit.Peer) error {
	const op = "store.PutPeer"
	if p == nil || p.ID == "" || p.Relation == "" || p.Transport == "" {
		return credit.E(op, credit.Invalid, "a peer needs an ID, a relation and a transport")
	}
	var js [4]string
	for i, v := range []any{p.Items, p.Lists, p.Regions, p.Purposes} {
		t, err := jsonText(v)
		if err != nil {
			return credit.Wrap(op, credit.Invalid, err)
		}
		js[i] = t
	}
	now := stamp(time.Time{})
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.CreatedAt, p.UpdatedAt = stamp(p.CreatedAt), now
	_, err := s.w.ExecContext(ctx, `INSERT INTO exchange_peers (`+peerCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, level = excluded.level, region = excluded.region,
			relation = excluded.relation, public_key = excluded.public_key, transport = excluded.transport,
			url = excluded.url, account = excluded.account, api_key = excluded.api_key, items = excluded.items,
			lists = excluded.lists, regions = excluded.regions, purposes = excluded.purposes,
			disabled = excluded.disabled, updated_at = excluded.updated_at`,
		p.ID, p.Name, p.Level, p.Region, p.Relation, nullBytes(p.PublicKey), p.Transport, p.URL, p.Account, p.APIKey,
		js[0], js[1], js[2], js[3], p.Disabled, p.CreatedAt.UnixMicro(), p.UpdatedAt.UnixMicro())
	return s.fail(op, err)
}

// Peers lists the peers by ID.
func (s *Store) Peers(ctx context.Context) ([]credit.Peer, error) {
	const op = "store.Peers"
	rows, err := s.r.QueryContext(ctx, `SELECT `+peerCols+` FROM exchange_peers ORDER BY id`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.Peer
	for rows.Next() {
		var (
			p            credit.Peer
			js           [4]string
			created, upd int64
		)
		if err := rows.Scan(&p.ID, &p.Name, &p.Level, &p.Region, &p.Relation, &p.PublicKey, &p.Transport, &p.URL, &p.Account, &p.APIKey,
			&js[0], &js[1], &js[2], &js[3], &p.Disabled, &created, &upd); err != nil {
			return nil, s.fail(op, err)
		}
		for i, dst := range []any{&p.Items, &p.Lists, &p.Regions, &p.Purposes} {
			if err := json.Unmarshal([]byte(js[i]), dst); err != nil {
				return nil, credit.E(op, credit.Internal, "peer %s: %w", p.ID, err)
			}
		}
		p.CreatedAt, p.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(upd).UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// DeletePeer removes a peer.
func (s *Store) DeletePeer(ctx context.Context, id string) error {
	const op = "store.DeletePeer"
	res, err := s.w.ExecContext(ctx, `DELETE FROM exchange_peers WHERE id = $1`, id)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return credit.Say(op, credit.NotFound, "没有交换对端%s", "no exchange peer %s", id)
	}
	return nil
}

const cursorCols = `origin, pos, facts, origin_at, updated_at, head, head_at, last_error, error_at`

func scanCursor(sc interface{ Scan(...any) error }) (credit.ExchangeCursor, error) {
	var (
		c                       credit.ExchangeCursor
		oat, upd, headAt, errAt sql.NullInt64
	)
	err := sc.Scan(&c.Origin, &c.Pos, &c.Facts, &oat, &upd, &c.Head, &headAt, &c.LastError, &errAt)
	c.OriginAt, c.Updated, c.HeadAt, c.ErrorAt = fromMicros(oat), fromMicros(upd), fromMicros(headAt), fromMicros(errAt)
	return c, err
}

// ExchangeCursors lists the cursors by origin.
func (s *Store) ExchangeCursors(ctx context.Context) ([]credit.ExchangeCursor, error) {
	const op = "store.ExchangeCursors"
	rows, err := s.r.QueryContext(ctx, `SELECT `+cursorCols+` FROM exchange_cursors ORDER BY origin`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.ExchangeCursor
	for rows.Next() {
		c, err := scanCursor(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, c)
	}
	return out, s.fail(op, rows.Err())
}

// ExchangeCursor returns one origin's cursor.
func (s *Store) ExchangeCursor(ctx context.Context, origin string) (credit.ExchangeCursor, error) {
	c, err := scanCursor(s.r.QueryRowContext(ctx, `SELECT `+cursorCols+` FROM exchange_cursors WHERE origin = $1`, origin))
	if errors.Is(err, sql.ErrNoRows) {
		return credit.ExchangeCursor{Origin: origin}, nil
	}
	if err != nil {
		return c, s.fail("store.ExchangeCursor", err)
	}
	return c, nil
}

// NoteExchange records the head heard of and the newest error.
func (s *Store) NoteExchange(ctx context.Context, origin string, head int64, headAt time.Time, errMsg string, at time.Time) error {
	const op = "store.NoteExchange"
	at = stamp(at)
	_, err := s.w.ExecContext(ctx, `INSERT INTO exchange_cursors (origin, pos, facts, head, head_at) VALUES ($1, 0, 0, 0, NULL)
		ON CONFLICT (origin) DO NOTHING`, origin)
	if err != nil {
		return s.fail(op, err)
	}
	if head > 0 {
		if _, err := s.w.ExecContext(ctx, `UPDATE exchange_cursors SET head = $1, head_at = $2 WHERE origin = $3 AND head < $1`,
			head, micros(headAt), origin); err != nil {
			return s.fail(op, err)
		}
	}
	if errMsg != "" {
		if _, err := s.w.ExecContext(ctx, `UPDATE exchange_cursors SET last_error = $1, error_at = $2 WHERE origin = $3`,
			clipText(errMsg, 2000), at.UnixMicro(), origin); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// HeldFacts lists held facts, oldest first.
func (s *Store) HeldFacts(ctx context.Context, origin string, limit int) ([]credit.HeldFact, error) {
	const op = "store.HeldFacts"
	if limit <= 0 {
		limit = 1000
	}
	q := `SELECT origin, fact_id, kind, item, pos, reason, body, at FROM exchange_held`
	args := []any{}
	if origin != "" {
		q += ` WHERE origin = $1`
		args = append(args, origin)
	}
	args = append(args, limit)
	q += ` ORDER BY origin, pos, fact_id LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.HeldFact
	for rows.Next() {
		var (
			h  credit.HeldFact
			at int64
		)
		if err := rows.Scan(&h.Origin, &h.FactID, &h.Kind, &h.Item, &h.Pos, &h.Reason, &h.Body, &at); err != nil {
			return nil, s.fail(op, err)
		}
		h.At = time.UnixMicro(at).UTC()
		out = append(out, h)
	}
	return out, s.fail(op, rows.Err())
}

// AppliedPositions says which positions were written by applying.
func (s *Store) AppliedPositions(ctx context.Context, positions []int64) (map[int64]bool, error) {
	return s.AppliedPositionsVia(ctx, s.r.QueryContext, positions)
}

// AppliedPositionsVia is AppliedPositions with reads through query.
func (s *Store) AppliedPositionsVia(ctx context.Context, query Query, positions []int64) (map[int64]bool, error) {
	const op = "store.AppliedPositions"
	out := map[int64]bool{}
	if len(positions) == 0 {
		return out, nil
	}
	lo, hi := positions[0], positions[0]
	for _, p := range positions {
		lo, hi = min(lo, p), max(hi, p)
	}
	// One range per applied batch, none longer than maxRange: the ranges
	// that may hold a position of [lo, hi] start in [lo-maxRange, hi].
	rows, err := query(ctx, `SELECT first_pos, last_pos FROM exchange_positions
		WHERE first_pos >= $1 AND first_pos <= $2 AND last_pos >= $3`, lo-maxRange, hi, lo)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var ranges [][2]int64
	for rows.Next() {
		var r [2]int64
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, s.fail(op, err)
		}
		ranges = append(ranges, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	for _, p := range positions {
		for _, r := range ranges {
			if p >= r[0] && p <= r[1] {
				out[p] = true
				break
			}
		}
	}
	return out, nil
}

// AppliedFacts says which of origin's facts are applied.
func (s *Store) AppliedFacts(ctx context.Context, origin string, ids []string) (map[string]bool, error) {
	return s.AppliedFactsVia(ctx, s.r.QueryContext, origin, ids)
}

// AppliedFactsVia is AppliedFacts with reads through query.
func (s *Store) AppliedFactsVia(ctx context.Context, query Query, origin string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.appliedIn(ctx, query, origin, ids, out)
	return out, s.fail("store.AppliedFacts", err)
}

func (s *Store) appliedIn(ctx context.Context, query Query, origin string, ids []string, out map[string]bool) error {
	size := min(s.d.MaxParams-1, 500)
	for len(ids) > 0 {
		n := min(size, len(ids))
		args := make([]any, 0, n+1)
		args = append(args, origin)
		var b strings.Builder
		for i, id := range ids[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, id)
			b.WriteString("$" + strconv.Itoa(i+2))
		}
		rows, err := query(ctx, `SELECT fact_id FROM exchange_facts WHERE origin = $1 AND fact_id IN (`+b.String()+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			out[id] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// AppliedOrigin returns the origin of an applied fact by local reference.
func (s *Store) AppliedOrigin(ctx context.Context, ref string) (string, error) {
	var o string
	err := s.r.QueryRowContext(ctx, `SELECT origin FROM exchange_facts WHERE ref = $1 LIMIT 1`, ref).Scan(&o)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return o, s.fail("store.AppliedOrigin", err)
}

// ListEventByID returns one list event.
func (s *Store) ListEventByID(ctx context.Context, id string) (*credit.ListEvent, error) {
	const op = "store.ListEventByID"
	evs, err := s.queryListEvents(ctx, op, `SELECT `+listEventCols+` FROM list_events WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(evs) == 0 {
		return nil, credit.E(op, credit.NotFound, "list event %s not found", id)
	}
	return &evs[0], nil
}

// maxRange bounds the positions one applied batch takes (ApplyExchange
// refuses more), so that a position's range is found by an index scan.
const maxRange = 100000

var (
	exchangeFactCols = []string{"origin", "fact_id", "kind", "ref", "pos", "at"}
	subjectInsCols   = []string{"id", "kind", "code", "name", "former_names", "org_type", "region", "legal_rep", "status",
		"registered_on", "code_flag", "id_cipher", "id_hash", "id_masked", "created_at", "updated_at"}
)

func subjectArgs(args []any, subj *credit.Subject, at time.Time) ([]any, error) {
	former, err := jsonText(subj.FormerNames)
	if err != nil {
		return nil, err
	}
	created, updated := subj.CreatedAt, subj.UpdatedAt
	if created.IsZero() {
		created = at
	}
	if updated.IsZero() {
		updated = at
	}
	return append(args, subj.ID, string(subj.Kind), subj.Code, subj.Name, former, subj.OrgType, subj.Region,
		subj.LegalRep, subj.Status, micros(subj.RegisteredOn), subj.CodeFlag,
		nullBytes(subj.IDCipher), nullText(subj.IDHash), subj.IDMasked, stamp(created).UnixMicro(), stamp(updated).UnixMicro()), nil
}

// ApplyExchange writes what one batch of another node's feed changes, in
// one transaction with the origin's cursor: a crash leaves all of it or
// none, and a batch applied twice (a redelivery, the same facts by
// another transport) writes nothing the second time.
func (s *Store) ApplyExchange(ctx context.Context, a *credit.ExchangeApply) error {
	const op = "store.ApplyExchange"
	if a == nil || a.Origin == "" {
		return credit.E(op, credit.Invalid, "an apply needs its origin")
	}
	at := stamp(a.At)
	ids := make([]string, 0, len(a.Facts))
	for _, f := range a.Facts {
		if f.FactID == "" {
			return credit.E(op, credit.Invalid, "a fact of %s has no ID", a.Origin)
		}
		ids = append(ids, f.FactID)
	}
	// The caller leaves out the facts applied before (AppliedFacts); one
	// applied meanwhile by another process fails the insert of its key,
	// and the whole batch is a Conflict (the caller reads again).
	// Statements are prepared before the transaction, for the rows it
	// writes: SQLite's holds the only write connection.
	before := map[string]bool{}
	nRec := 0
	for _, f := range a.Facts {
		if f.Record != nil && !before[f.FactID] {
			nRec++
		}
	}
	nChanges := len(a.Need) + len(a.Facts)
	if nChanges > maxRange {
		return credit.E(op, credit.Invalid, "a batch of %d facts is more than %d", nChanges, maxRange)
	}
	recStmts, err := s.prepareInserts(ctx, nRec)
	if err != nil {
		return s.fail(op, err)
	}
	feed, err := s.feedStmts(ctx, nChanges)
	if err != nil {
		return s.fail(op, err)
	}
	factStmts, err := s.prepareRows(ctx, "exchange_facts", exchangeFactCols, len(a.Facts))
	if err != nil {
		return s.fail(op, err)
	}
	var subjects []credit.Subject // upserted: registration data from the origin
	for _, f := range a.Facts {
		if f.Subject != nil && !before[f.FactID] {
			subjects = append(subjects, *f.Subject)
		}
	}
	needStmts, err := s.subjectStmts(ctx, len(a.Need), needSuffix)
	if err != nil {
		return s.fail(op, err)
	}
	putStmts, err := s.subjectStmts(ctx, len(subjects), putSuffix)
	if err != nil {
		return s.fail(op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The cursor first: a batch applied meanwhile by another process
		// (a second node on the same store) is refused whole.
		var cur int64
		err := tx.QueryRowContext(ctx, `SELECT pos FROM exchange_cursors WHERE origin = $1`, a.Origin).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_cursors (origin, pos, facts, head) VALUES ($1, 0, 0, 0)`, a.Origin); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if cur != a.From {
			return credit.E(op, credit.Conflict, "the cursor of %s is at %d, not %d", a.Origin, cur, a.From)
		}
		done := maps.Clone(before)
		var cs []change
		var positions []int64
		// Subjects the facts need, created where missing; then the
		// subjects whose registration data the origin sent.
		created, err := s.putSubjects(ctx, tx, needStmts, a.Need, at, true)
		if err != nil {
			return err
		}
		for _, id := range created {
			cs = append(cs, change{kind: credit.ChangeSubject, ref: id, subj: id})
		}
		if _, err := s.putSubjects(ctx, tx, putStmts, subjects, at, false); err != nil {
			return err
		}
		var recArgs []any
		type seqRow struct {
			fact int
			ev   *credit.ListEvent
			mark *credit.VerificationMark
		}
		var seqRows []seqRow
		var factArgs []any
		for i := range a.Facts {
			f := &a.Facts[i]
			if done[f.FactID] {
				continue
			}
			done[f.FactID] = true
			ref := f.FactID
			switch {
			case f.Subject != nil:
				ref = f.Subject.ID // written above
				cs = append(cs, change{kind: credit.ChangeSubject, ref: ref, subj: ref})
			case f.Record != nil:
				if recArgs, err = recordArgs(recArgs, f.Record); err != nil {
					return credit.Wrap(op, credit.Invalid, err)
				}
				ref = f.Record.ID
				cs = append(cs, recordChanges([]credit.Record{*f.Record})...)
			case f.ListEvent != nil:
				ref = f.ListEvent.ID
				if s.d.ForKeyShare != "" {
					var one int
					if err := tx.QueryRowContext(ctx, `SELECT 1 FROM subjects WHERE id = $1`+s.d.ForKeyShare, f.ListEvent.SubjectID).Scan(&one); err != nil && !errors.Is(err, sql.ErrNoRows) {
						return err
					}
				}
				seqRows = append(seqRows, seqRow{fact: len(cs), ev: f.ListEvent})
				cs = append(cs, change{kind: credit.ChangeListEvent, ref: ref, subj: f.ListEvent.SubjectID, tg: f.ListEvent.List})
			case f.Mark != nil:
				ref = f.Mark.ID
				seqRows = append(seqRows, seqRow{fact: len(cs), mark: f.Mark})
				cs = append(cs, change{kind: credit.ChangeVerification, ref: ref, subj: f.Mark.SubjectID, tg: f.Mark.TargetKind})
			case f.Case != nil:
				c := f.Case
				ref = c.ID
				if _, err := tx.ExecContext(ctx, `INSERT INTO wf_cases (`+caseCols+`)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
					ON CONFLICT (id) DO UPDATE SET state = excluded.state, is_open = excluded.is_open, seq = excluded.seq,
						due = excluded.due, until_at = excluded.until_at, updated_at = excluded.updated_at`,
					c.ID, string(c.Kind), c.SubjectID, c.RecordID, c.EntryID, c.Unit, c.Domain, c.TrackHash, c.State, c.Open, c.Seq,
					micros(c.Due), micros(c.Until), stamp(c.Created).UnixMicro(), stamp(c.Updated).UnixMicro()); err != nil {
					return err
				}
				for j := range f.CaseEvents {
					ev := &f.CaseEvents[j]
					data, err := jsonText(ev.Data)
					if err != nil {
						return credit.Wrap(op, credit.Invalid, err)
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO wf_events (id, case_id, seq, action, state, actor, role, at, due, reason, data)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
						ev.ID, c.ID, ev.Seq, ev.Action, ev.State, ev.Actor, string(ev.Role), stamp(ev.At).UnixMicro(), micros(ev.Due), ev.Reason, data); err != nil {
						return err
					}
				}
				cs = append(cs, caseChanges(c, nil)...)
			default:
				return credit.E(op, credit.Invalid, "fact %s of %s carries nothing", f.FactID, a.Origin)
			}
			factArgs = append(factArgs, a.Origin, f.FactID, f.Kind, ref, int64(0), at.UnixMicro())
		}
		if len(recArgs) > 0 {
			if err := s.insertRecords(ctx, tx, recArgs, recStmts); err != nil {
				return err
			}
		}
		// Positions last but the rows that carry them (see inSeqTx).
		if len(cs) > 0 {
			first, err := takePositions(ctx, sqlFeedTx{tx: tx, s: s, stmts: feed}, len(cs))
			if err != nil {
				return err
			}
			for i := range cs {
				positions = append(positions, first+int64(i))
			}
			for _, r := range seqRows {
				pos := first + int64(r.fact)
				if r.ev != nil {
					e := r.ev
					detail, err := jsonText(e.Detail)
					if err != nil {
						return credit.Wrap(op, credit.Invalid, err)
					}
					e.Seq, e.At = pos, stamp(e.At)
					if _, err := tx.ExecContext(ctx, `INSERT INTO list_events (`+listEventCols+`)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
						e.ID, pos, e.EntryID, e.List, e.SubjectID, string(e.Step), e.Actor, e.Dept, e.At.UnixMicro(), e.DocNo, detail); err != nil {
						return err
					}
				} else {
					m := r.mark
					m.Seq, m.At = pos, stamp(m.At)
					if _, err := tx.ExecContext(ctx, `INSERT INTO verification_marks
						(id, seq, target_kind, target_id, subject_id, active, at, actor, reason, ref)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
						m.ID, pos, m.TargetKind, m.TargetID, m.SubjectID, m.Active, m.At.UnixMicro(), m.Actor, m.Reason, m.Ref); err != nil {
						return err
					}
				}
			}
		}
		// The applied facts by origin and ID, with the position of each
		// (the changes of subjects created come first).
		need := len(cs) - len(factArgs)/len(exchangeFactCols)
		for i := 0; i < len(factArgs)/len(exchangeFactCols); i++ {
			factArgs[i*len(exchangeFactCols)+4] = positions[need+i]
		}
		if err := s.execRows(ctx, tx, factStmts, exchangeFactCols, factArgs); err != nil {
			return err
		}
		if len(positions) > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_positions (first_pos, last_pos, origin) VALUES ($1, $2, $3)`,
				positions[0], positions[len(positions)-1], a.Origin); err != nil {
				return err
			}
		}
		for _, h := range a.Held {
			if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_held (origin, fact_id, kind, item, pos, reason, body, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (origin, fact_id) DO UPDATE SET reason = excluded.reason`,
				h.Origin, h.FactID, h.Kind, h.Item, h.Pos, clipText(h.Reason, 2000), h.Body, at.UnixMicro()); err != nil {
				return err
			}
		}
		for _, h := range a.Released {
			if _, err := tx.ExecContext(ctx, `DELETE FROM exchange_held WHERE origin = $1 AND fact_id = $2`, h.Origin, h.FactID); err != nil {
				return err
			}
		}
		// A held fact counts once, when it is held.
		applied := int64(0)
		if a.To > a.From {
			applied = int64(len(factArgs)/len(exchangeFactCols) + len(a.Held))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE exchange_cursors SET pos = $1, facts = facts + $2, origin_at = COALESCE($3, origin_at), updated_at = $4,
			head = CASE WHEN head < $5 THEN $5 ELSE head END, last_error = CASE WHEN $6 THEN '' ELSE last_error END
			WHERE origin = $7`,
			a.To, applied, micros(a.OriginAt), at.UnixMicro(), max(a.Head, a.To), a.To > a.From, a.Origin); err != nil {
			return err
		}
		if len(cs) == 0 {
			return nil
		}
		args := make([]any, 0, len(cs)*len(changeCols))
		for i, c := range cs {
			args = append(args, positions[i], string(c.kind), c.ref, c.subj, c.tg, at.UnixMicro())
		}
		return sqlFeedTx{tx: tx, s: s, stmts: feed}.InsertChanges(ctx, args)
	})
	if s.kindOf(err) == credit.Exists {
		return credit.E(op, credit.Conflict, "facts of %s were applied meanwhile", a.Origin)
	}
	return s.fail(op, err)
}

const (
	needSuffix = ` ON CONFLICT (id) DO NOTHING RETURNING id`
	putSuffix  = ` ON CONFLICT (id) DO UPDATE SET name = excluded.name, former_names = excluded.former_names,
		legal_rep = excluded.legal_rep, status = excluded.status, registered_on = excluded.registered_on,
		region = excluded.region, code_flag = excluded.code_flag, updated_at = excluded.updated_at`
)

// subjectStmts prepares, before the write transaction, the multi-row
// subject INSERTs with suffix for n rows.
func (s *Store) subjectStmts(ctx context.Context, n int, suffix string) (map[int]*sql.Stmt, error) {
	out := make(map[int]*sql.Stmt)
	for _, size := range logRowSizes {
		if n >= size && size*len(subjectInsCols) <= s.d.MaxParams {
			st, err := s.cachedStmt(ctx, "subjects"+suffix, size, s.multiInsert("subjects", subjectInsCols, size)+suffix)
			if err != nil {
				return nil, err
			}
			out[size] = st
			n %= size
		}
	}
	return out, nil
}

// putSubjects writes subjects with the statements of subjectStmts and
// returns the IDs the statements return (with needSuffix: those created).
func (s *Store) putSubjects(ctx context.Context, tx *sql.Tx, stmts map[int]*sql.Stmt, subjects []credit.Subject, at time.Time, returning bool) ([]string, error) {
	var ids []string
	cols := len(subjectInsCols)
	args := make([]any, 0, len(subjects)*cols)
	for i := range subjects {
		var err error
		if args, err = subjectArgs(args, &subjects[i], at); err != nil {
			return nil, credit.Wrap("store.ApplyExchange", credit.Invalid, err)
		}
	}
	for _, size := range logRowSizes {
		st, ok := stmts[size]
		if !ok {
			continue
		}
		txst := tx.StmtContext(ctx, st)
		for len(args) >= size*cols {
			if returning {
				rows, err := txst.QueryContext(ctx, args[:size*cols]...)
				if err != nil {
					txst.Close()
					return nil, err
				}
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						txst.Close()
						return nil, err
					}
					ids = append(ids, id)
				}
				if err := rows.Close(); err != nil {
					txst.Close()
					return nil, err
				}
			} else if _, err := txst.ExecContext(ctx, args[:size*cols]...); err != nil {
				txst.Close()
				return nil, err
			}
			args = args[size*cols:]
		}
		if err := txst.Close(); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
