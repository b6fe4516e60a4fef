package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

const subjectCols = `id, kind, code, name, former_names, org_type, region, legal_rep, status,
	registered_on, code_flag, id_cipher, COALESCE(id_hash, ''), id_masked, created_at, updated_at`

// PutSubject creates or replaces a subject. A zero CreatedAt or UpdatedAt
// is set to now. On replace the stored created_at is kept, because creation
// is a fact about the row, not part of the registration data being replaced;
// s.CreatedAt and s.UpdatedAt are set to what was stored.
func (s *Store) PutSubject(ctx context.Context, subj *credit.Subject) error {
	return s.putSubject(ctx, "store.PutSubject", subj, nil)
}

// ReviseSubject replaces an organisation's registration data and keeps
// the revision (who changed which field from what to what) in the same
// transaction, so that the history cannot miss a change.
func (s *Store) ReviseSubject(ctx context.Context, subj *credit.Subject, rev *credit.SubjectRevision) error {
	const op = "store.ReviseSubject"
	if rev == nil || rev.ID == "" || len(rev.Changes) == 0 {
		return credit.E(op, credit.Invalid, "a revision needs an ID and at least one change")
	}
	return s.putSubject(ctx, op, subj, rev)
}

func (s *Store) putSubject(ctx context.Context, op string, subj *credit.Subject, rev *credit.SubjectRevision) error {
	if subj == nil || subj.ID == "" {
		return credit.E(op, credit.Invalid, "subject ID is required")
	}
	if !subj.Kind.Valid() {
		return credit.E(op, credit.Invalid, "subject %s: unknown kind %q", subj.ID, subj.Kind)
	}
	former, err := jsonText(subj.FormerNames)
	if err != nil {
		return credit.Wrap(op, credit.Invalid, err)
	}
	var changes string
	if rev != nil {
		if changes, err = jsonText(rev.Changes); err != nil {
			return credit.Wrap(op, credit.Invalid, err)
		}
		rev.SubjectID, rev.At = subj.ID, stamp(rev.At)
	}
	created, updated := stamp(subj.CreatedAt), stamp(subj.UpdatedAt)
	var createdMicros int64
	_, err = s.inFeedTx(ctx, 1, func(tx *sql.Tx) ([]change, error) {
		err := tx.QueryRowContext(ctx, `
		INSERT INTO subjects (id, kind, code, name, former_names, org_type, region, legal_rep, status,
			registered_on, code_flag, id_cipher, id_hash, id_masked, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (id) DO UPDATE SET
			kind = excluded.kind, code = excluded.code, name = excluded.name,
			former_names = excluded.former_names, org_type = excluded.org_type,
			region = excluded.region, legal_rep = excluded.legal_rep, status = excluded.status,
			registered_on = excluded.registered_on, code_flag = excluded.code_flag,
			id_cipher = excluded.id_cipher, id_hash = excluded.id_hash,
			id_masked = excluded.id_masked, updated_at = excluded.updated_at
		RETURNING created_at`,
			subj.ID, string(subj.Kind), subj.Code, subj.Name, former, subj.OrgType, subj.Region,
			subj.LegalRep, subj.Status, micros(subj.RegisteredOn), subj.CodeFlag,
			nullBytes(subj.IDCipher), nullText(subj.IDHash), subj.IDMasked,
			created.UnixMicro(), updated.UnixMicro(),
		).Scan(&createdMicros)
		if err == nil && rev != nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO subject_revisions (id, subject_id, at, actor, dept, changes)
				VALUES ($1, $2, $3, $4, $5, $6)`, rev.ID, rev.SubjectID, rev.At.UnixMicro(), rev.Actor, rev.Dept, changes)
		}
		return []change{{kind: credit.ChangeSubject, ref: subj.ID, subj: subj.ID}}, err
	})
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			// The ID is the upsert key, so the clash is on the ID hash.
			return credit.E(op, credit.Exists, "subject %s: another subject has the same ID number hash", subj.ID)
		}
		return s.fail(op, err)
	}
	subj.CreatedAt = fromMicros(sql.NullInt64{Int64: createdMicros, Valid: true})
	subj.UpdatedAt = updated
	return nil
}

// SubjectRevisions returns the revisions of a subject's registration
// data, oldest first.
func (s *Store) SubjectRevisions(ctx context.Context, subjectID string) ([]credit.SubjectRevision, error) {
	m, err := s.SubjectRevisionsBySubjects(ctx, []string{subjectID})
	if err != nil {
		return nil, err
	}
	return m[subjectID], nil
}

// SubjectRevisionsBySubjects is SubjectRevisions for many subjects at once,
// by subject ID (subjects without revisions are left out): the
// transparency log reads a page of subject changes' revisions in one go.
func (s *Store) SubjectRevisionsBySubjects(ctx context.Context, subjectIDs []string) (map[string][]credit.SubjectRevision, error) {
	const op = "store.SubjectRevisionsBySubjects"
	out := map[string][]credit.SubjectRevision{}
	err := s.inChunks(subjectIDs, func(list string, args []any) error {
		rows, err := s.r.QueryContext(ctx, `SELECT subject_id, id, at, actor, dept, changes FROM subject_revisions
			WHERE subject_id IN (`+list+`) ORDER BY subject_id, at, id`, args...)
		if err != nil {
			return err
		}
		return scanRevisions(rows, func(r credit.SubjectRevision) { out[r.SubjectID] = append(out[r.SubjectID], r) })
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// scanRevisions hands each row of subject_revisions (subject_id, id, at,
// actor, dept, changes) to add, in the rows' order, and closes rows.
func scanRevisions(rows *sql.Rows, add func(credit.SubjectRevision)) error {
	defer rows.Close()
	for rows.Next() {
		var r credit.SubjectRevision
		var at int64
		var changes string
		if err := rows.Scan(&r.SubjectID, &r.ID, &at, &r.Actor, &r.Dept, &changes); err != nil {
			return err
		}
		r.At = fromMicros(sql.NullInt64{Int64: at, Valid: true})
		if err := json.Unmarshal([]byte(changes), &r.Changes); err != nil {
			return credit.E("store.SubjectRevisions", credit.Internal, "revision %s: changes: %w", r.ID, err)
		}
		add(r)
	}
	return rows.Err()
}

// Subject returns one subject by ID.
func (s *Store) Subject(ctx context.Context, id string) (*credit.Subject, error) {
	const op = "store.Subject"
	subj, err := scanSubject(s.r.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "subject %q not found", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return subj, nil
}

// SubjectByIDHash finds a natural person by the keyed hash of the ID number.
func (s *Store) SubjectByIDHash(ctx context.Context, hash string) (*credit.Subject, error) {
	const op = "store.SubjectByIDHash"
	if hash == "" {
		return nil, credit.E(op, credit.Invalid, "ID number hash is required")
	}
	subj, err := scanSubject(s.r.QueryRowContext(ctx, `SELECT `+subjectCols+` FROM subjects WHERE id_hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is a keyed hash, not the ID number, so naming it leaks
		// nothing; it helps to match the error with the request.
		return nil, credit.E(op, credit.NotFound, "no subject with ID number hash %q", hash)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return subj, nil
}

// SubjectsByName returns up to limit subjects (50 when limit <= 0, at most
// 1000) whose name or a former name contains q, ordered by name. Matching
// ignores ASCII letter case on every backend.
//
// Former names are JSON text, so the SQL LIKE on them is only a first cut:
// it can also hit JSON punctuation or escapes (q = `","`). Candidates are
// therefore checked again in Go, and the scan continues by keyset until
// limit real matches are found or the table is exhausted.
func (s *Store) SubjectsByName(ctx context.Context, q string, limit int) ([]credit.Subject, error) {
	const op = "store.SubjectsByName"
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	pattern := "%" + likeEscape(q) + "%"
	page := limit*2 + 16
	var out []credit.Subject
	// ("", "") sorts before every row, because IDs are never empty, so the
	// first page needs no separate SQL text.
	lastName, lastID := "", ""
	for {
		rows, err := s.r.QueryContext(ctx, `SELECT `+subjectCols+` FROM subjects
			WHERE (lower(name) LIKE lower($1) ESCAPE '\' OR lower(former_names) LIKE lower($1) ESCAPE '\')
			  AND (name > $2 OR (name = $2 AND id > $3))
			ORDER BY name, id LIMIT $4`, pattern, lastName, lastID, page)
		if err != nil {
			return nil, s.fail(op, err)
		}
		n := 0
		for rows.Next() {
			subj, err := scanSubject(rows)
			if err != nil {
				rows.Close()
				return nil, s.fail(op, err)
			}
			n++
			lastName, lastID = subj.Name, subj.ID
			if nameMatches(subj, q) && len(out) < limit {
				out = append(out, *subj)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail(op, err)
		}
		if len(out) >= limit || n < page {
			return out, nil
		}
	}
}

// nameMatches is the exact test behind SubjectsByName's SQL first cut. Its
// Unicode lower-casing is never stricter than the engines' lower().
func nameMatches(subj *credit.Subject, q string) bool {
	q = strings.ToLower(q)
	if strings.Contains(strings.ToLower(subj.Name), q) {
		return true
	}
	for _, f := range subj.FormerNames {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// likeEscape makes q match literally inside a LIKE pattern with ESCAPE '\'.
func likeEscape(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(q)
}

// CountSubjects returns how many subjects are stored.
func (s *Store) CountSubjects(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM subjects`).Scan(&n); err != nil {
		return 0, s.fail("store.CountSubjects", err)
	}
	return n, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSubject(row scanner) (*credit.Subject, error) {
	var (
		subj                 credit.Subject
		kind, former         string
		registered           sql.NullInt64
		createdAt, updatedAt sql.NullInt64
		cipher               []byte
	)
	err := row.Scan(&subj.ID, &kind, &subj.Code, &subj.Name, &former, &subj.OrgType, &subj.Region,
		&subj.LegalRep, &subj.Status, &registered, &subj.CodeFlag, &cipher, &subj.IDHash,
		&subj.IDMasked, &createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	subj.Kind = credit.SubjectKind(kind)
	if err := json.Unmarshal([]byte(former), &subj.FormerNames); err != nil {
		return nil, credit.E("store.scanSubject", credit.Internal, "subject %s: former names: %w", subj.ID, err)
	}
	if len(cipher) > 0 {
		subj.IDCipher = cipher
	}
	subj.RegisteredOn = fromMicros(registered)
	subj.CreatedAt = fromMicros(createdAt)
	subj.UpdatedAt = fromMicros(updatedAt)
	return &subj, nil
}
