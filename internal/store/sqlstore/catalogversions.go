package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

const catalogVersionCols = `id, file, version, sha256, note, uploaded_by, uploaded_at, active, activated_by, activated_at`

func scanCatalogVersion(row scanner, content bool) (*credit.CatalogVersion, error) {
	var (
		v                   credit.CatalogVersion
		uploaded, activated int64
	)
	dest := []any{&v.ID, &v.File, &v.Version, &v.SHA256, &v.Note, &v.UploadedBy, &uploaded, &v.Active, &v.ActivatedBy, &activated}
	if content {
		dest = append(dest, &v.Content)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	v.Uploaded = time.UnixMicro(uploaded).UTC()
	if activated != 0 {
		v.Activated = time.UnixMicro(activated).UTC()
	}
	return &v, nil
}

// AddCatalogVersion stores an uploaded version, inactive.
func (s *Store) AddCatalogVersion(ctx context.Context, v *credit.CatalogVersion) error {
	const op = "store.AddCatalogVersion"
	if v == nil || v.ID == "" || v.File == "" || v.SHA256 == "" || len(v.Content) == 0 {
		return credit.E(op, credit.Invalid, "catalogue version ID, file, hash and content are required")
	}
	v.Uploaded = stamp(v.Uploaded)
	v.Active, v.ActivatedBy, v.Activated = false, "", time.Time{}
	_, err := s.w.ExecContext(ctx, `INSERT INTO catalog_versions (id, file, version, sha256, content, note, uploaded_by, uploaded_at, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		v.ID, v.File, v.Version, v.SHA256, v.Content, v.Note, v.UploadedBy, v.Uploaded.UnixMicro(), false)
	if err != nil {
		if s.kindOf(err) == credit.Exists {
			return credit.E(op, credit.Exists, "catalogue version %s exists", v.ID)
		}
		return s.fail(op, err)
	}
	return nil
}

// CatalogVersions lists versions, newest first, without content.
func (s *Store) CatalogVersions(ctx context.Context, file string) ([]credit.CatalogVersion, error) {
	const op = "store.CatalogVersions"
	rows, err := s.r.QueryContext(ctx, `SELECT `+catalogVersionCols+` FROM catalog_versions
		WHERE ($1 = '' OR file = $1) ORDER BY uploaded_at DESC, id DESC`, file)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CatalogVersion
	for rows.Next() {
		v, err := scanCatalogVersion(rows, false)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// CatalogVersion returns one version with its content.
func (s *Store) CatalogVersion(ctx context.Context, id string) (*credit.CatalogVersion, error) {
	const op = "store.CatalogVersion"
	v, err := scanCatalogVersion(s.r.QueryRowContext(ctx, `SELECT `+catalogVersionCols+`, content FROM catalog_versions WHERE id = $1`, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, credit.E(op, credit.NotFound, "no catalogue version %s", id)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return v, nil
}

// ActivateCatalogVersion makes id its file's active version; the version
// active before stays, inactive.
func (s *Store) ActivateCatalogVersion(ctx context.Context, id, by string, at time.Time) error {
	const op = "store.ActivateCatalogVersion"
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var file string
		err := tx.QueryRowContext(ctx, `SELECT file FROM catalog_versions WHERE id = $1`, id).Scan(&file)
		if errors.Is(err, sql.ErrNoRows) {
			return credit.E(op, credit.NotFound, "no catalogue version %s", id)
		}
		if err != nil {
			return s.fail(op, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_versions SET active = $1 WHERE file = $2 AND active`, false, file); err != nil {
			return s.fail(op, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_versions SET active = $1, activated_by = $2, activated_at = $3 WHERE id = $4`,
			true, by, stamp(at).UnixMicro(), id); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// ActiveCatalogVersions returns each file's active version with content.
func (s *Store) ActiveCatalogVersions(ctx context.Context) ([]credit.CatalogVersion, error) {
	const op = "store.ActiveCatalogVersions"
	rows, err := s.r.QueryContext(ctx, `SELECT `+catalogVersionCols+`, content FROM catalog_versions WHERE active ORDER BY file`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []credit.CatalogVersion
	for rows.Next() {
		v, err := scanCatalogVersion(rows, true)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
