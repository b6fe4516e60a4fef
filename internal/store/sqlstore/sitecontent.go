package sqlstore

import (
	"context"
	"database/sql"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
)

const sitePostCols = `id, version, section, title, title_en, body, body_en, post_date, removed, editor, at`

// PutSitePost writes version prev+1 of a post. The primary key (id,
// version) makes two writers of the same version collide: the second gets
// Conflict, and no version is ever overwritten.
func (s *Store) PutSitePost(ctx context.Context, p *credit.SitePost, prev int) error {
	const op = "store.PutSitePost"
	if p.ID == "" || p.Title == "" || !slices.Contains(credit.SiteSections, p.Section) || prev < 0 {
		return credit.E(op, credit.Invalid, "a post needs an ID, a title and a section (%v), not %q/%q/%q", credit.SiteSections, p.ID, p.Title, p.Section)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM site_posts WHERE id = $1`, p.ID).Scan(&cur); err != nil {
			return err
		}
		if int(cur.Int64) != prev {
			return credit.E(op, credit.Conflict, "post %s is at version %d, not %d: someone else changed it; reload and edit again", p.ID, cur.Int64, prev)
		}
		p.Version, p.At, p.Date = prev+1, stamp(p.At), stamp(p.Date)
		removed := 0
		if p.Removed {
			removed = 1
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO site_posts (`+sitePostCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			p.ID, p.Version, string(p.Section), p.Title, p.TitleEn, p.Body, p.BodyEn, p.Date.UnixMicro(), removed, p.Editor, p.At.UnixMicro())
		return err
	})
	if s.kindOf(err) == credit.Exists {
		return credit.E(op, credit.Conflict, "post %s version %d was written by someone else meanwhile; reload and edit again", p.ID, prev+1)
	}
	return s.fail(op, err)
}

func scanSitePosts(rows *sql.Rows) ([]credit.SitePost, error) {
	defer rows.Close()
	var out []credit.SitePost
	for rows.Next() {
		var p credit.SitePost
		var section string
		var date, at sql.NullInt64
		var removed int64
		if err := rows.Scan(&p.ID, &p.Version, &section, &p.Title, &p.TitleEn, &p.Body, &p.BodyEn, &date, &removed, &p.Editor, &at); err != nil {
			return nil, err
		}
		p.Section, p.Date, p.At, p.Removed = credit.SiteSection(section), fromMicros(date), fromMicros(at), removed != 0
		out = append(out, p)
	}
	return out, rows.Err()
}

// SitePosts returns the newest version of each post.
func (s *Store) SitePosts(ctx context.Context, section credit.SiteSection, withRemoved bool, limit int) ([]credit.SitePost, error) {
	const op = "store.SitePosts"
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + sitePostCols + ` FROM site_posts p WHERE version = (SELECT MAX(version) FROM site_posts q WHERE q.id = p.id)
		AND ($1 = '' OR section = $1) AND ($2 OR removed = 0) ORDER BY post_date DESC, id LIMIT $3`
	rows, err := s.r.QueryContext(ctx, q, string(section), withRemoved, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := scanSitePosts(rows)
	return out, s.fail(op, err)
}

// SitePost returns a post's newest version.
func (s *Store) SitePost(ctx context.Context, id string) (*credit.SitePost, error) {
	const op = "store.SitePost"
	rows, err := s.r.QueryContext(ctx, `SELECT `+sitePostCols+` FROM site_posts WHERE id = $1 ORDER BY version DESC LIMIT 1`, id)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := scanSitePosts(rows)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if len(out) == 0 {
		return nil, credit.E(op, credit.NotFound, "no post %s", id)
	}
	return &out[0], nil
}

// SitePostVersions returns every version of a post, oldest first.
func (s *Store) SitePostVersions(ctx context.Context, id string) ([]credit.SitePost, error) {
	const op = "store.SitePostVersions"
	rows, err := s.r.QueryContext(ctx, `SELECT `+sitePostCols+` FROM site_posts WHERE id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := scanSitePosts(rows)
	return out, s.fail(op, err)
}
