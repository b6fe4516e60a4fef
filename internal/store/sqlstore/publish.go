package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

const subjectInsertCols = `id, kind, code, name, former_names, org_type, region, legal_rep, status,
	registered_on, code_flag, id_cipher, id_hash, id_masked, created_at, updated_at`

const subjectColCount = 16

// PutSubjects creates or replaces many subjects in one transaction, with
// multi-row upserts of a few hundred rows each. It refuses the whole batch
// when one subject is invalid or two share an ID.
func (s *Store) PutSubjects(ctx context.Context, subs []credit.Subject) error {
	const op = "store.PutSubjects"
	seen := make(map[string]int, len(subs))
	args := make([]any, 0, len(subs)*subjectColCount)
	for i := range subs {
		subj := &subs[i]
		if subj.ID == "" {
			return credit.E(op, credit.Invalid, "subject %d of %d: ID is required", i+1, len(subs))
		}
		if !subj.Kind.Valid() {
			return credit.E(op, credit.Invalid, "subject %s: unknown kind %q", subj.ID, subj.Kind)
		}
		if j, dup := seen[subj.ID]; dup {
			return credit.E(op, credit.Invalid, "subject %s appears twice in the batch (positions %d and %d)", subj.ID, j+1, i+1)
		}
		seen[subj.ID] = i
		former, err := jsonText(subj.FormerNames)
		if err != nil {
			return credit.Wrap(op, credit.Invalid, err)
		}
		subj.CreatedAt, subj.UpdatedAt = stamp(subj.CreatedAt), stamp(subj.UpdatedAt)
		args = append(args, subj.ID, string(subj.Kind), subj.Code, subj.Name, former, subj.OrgType,
			subj.Region, subj.LegalRep, subj.Status, micros(subj.RegisteredOn), subj.CodeFlag,
			nullBytes(subj.IDCipher), nullText(subj.IDHash), subj.IDMasked,
			subj.CreatedAt.UnixMicro(), subj.UpdatedAt.UnixMicro())
	}
	if len(subs) == 0 {
		return nil
	}
	per := min(s.d.MaxParams/subjectColCount, 250)
	_, err := s.inFeedTx(ctx, len(subs), func(tx *sql.Tx) ([]change, error) {
		for from := 0; from < len(subs); from += per {
			n := min(per, len(subs)-from)
			if _, err := tx.ExecContext(ctx, s.upsertSubjectsSQL(n), args[from*subjectColCount:(from+n)*subjectColCount]...); err != nil {
				return nil, err
			}
		}
		cs := make([]change, len(subs))
		for i := range subs {
			cs[i] = change{kind: credit.ChangeSubject, ref: subs[i].ID, subj: subs[i].ID}
		}
		return cs, nil
	})
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "a subject in the batch has the same ID number hash as another subject")
		}
		return s.fail(op, err)
	}
	return nil
}

func (s *Store) upsertSubjectsSQL(rows int) string {
	b := []byte("INSERT INTO subjects (" + subjectInsertCols + ") VALUES ")
	for r := range rows {
		if r > 0 {
			b = append(b, ',')
		}
		b = append(b, '(')
		b = s.placeholders(b, r*subjectColCount+1, subjectColCount)
		b = append(b, ')')
	}
	b = append(b, ` ON CONFLICT (id) DO UPDATE SET
		kind = excluded.kind, code = excluded.code, name = excluded.name,
		former_names = excluded.former_names, org_type = excluded.org_type,
		region = excluded.region, legal_rep = excluded.legal_rep, status = excluded.status,
		registered_on = excluded.registered_on, code_flag = excluded.code_flag,
		id_cipher = excluded.id_cipher, id_hash = excluded.id_hash,
		id_masked = excluded.id_masked, updated_at = excluded.updated_at`...)
	return string(b)
}

// SubjectNamesByID reads the names of the subjects with the given IDs,
// in chunks that stay under the engine's parameter limit.
func (s *Store) SubjectNamesByID(ctx context.Context, ids []string) ([]credit.SubjectName, error) {
	const op = "store.SubjectNamesByID"
	out := make([]credit.SubjectName, 0, len(ids))
	err := s.inChunks(ids, func(list string, args []any) error {
		rows, err := s.r.QueryContext(ctx, `SELECT `+nameCols+` FROM subjects WHERE id IN (`+list+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanName(op, rows)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

const nameCols = `id, kind, code, name, former_names, updated_at`

func scanName(op string, row scanner) (credit.SubjectName, error) {
	var (
		n            credit.SubjectName
		kind, former string
		updated      int64
	)
	if err := row.Scan(&n.ID, &kind, &n.Code, &n.Name, &former, &updated); err != nil {
		return n, err
	}
	n.Kind = credit.SubjectKind(kind)
	if former != "null" && former != "" {
		if err := json.Unmarshal([]byte(former), &n.FormerNames); err != nil {
			return n, credit.E(op, credit.Internal, "subject %s: former names: %w", n.ID, err)
		}
	}
	n.UpdatedAt = time.UnixMicro(updated).UTC()
	return n, nil
}

// EachSubjectName streams every subject's names in storage order.
func (s *Store) EachSubjectName(ctx context.Context, fn func(credit.SubjectName) error) error {
	const op = "store.EachSubjectName"
	rows, err := s.r.QueryContext(ctx, `SELECT `+nameCols+` FROM subjects`)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		n, err := scanName(op, rows)
		if err != nil {
			return s.fail(op, err)
		}
		if err := fn(n); err != nil {
			return err
		}
	}
	return s.fail(op, rows.Err())
}

// NewestRecordsByItems returns facts of the given items before beforeID,
// newest first. Each item is read on its own, a backward range of
// records_item (item, id) that stops at limit, and the runs are merged
// here: one query with item IN (...) would have to sort every fact of the
// items to find the newest.
func (s *Store) NewestRecordsByItems(ctx context.Context, items []string, beforeID string, limit int) ([]credit.Record, error) {
	const op = "store.NewestRecordsByItems"
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 10000)
	var out []credit.Record
	for _, it := range items {
		var run []credit.Record
		var err error
		if beforeID == "" {
			run, err = s.queryRecords(ctx, recordSelect+`WHERE item = $1 ORDER BY id DESC LIMIT $2`, it, limit)
		} else {
			run, err = s.queryRecords(ctx, recordSelect+`WHERE item = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, it, beforeID, limit)
		}
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, run...)
	}
	slices.SortFunc(out, func(a, b credit.Record) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(len(out), limit)], nil
}
