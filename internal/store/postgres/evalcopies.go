package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// ScanEvalFileCopies reads the copies through pgx's own rows on one
// connection: database/sql copies every value out of the driver's buffer
// (a full pass reads 2.5M parts), pgx lets the body be read in place.
func (s *Store) ScanEvalFileCopies(ctx context.Context, items []string, r credit.SubjectRange, fn func(*credit.Subject, []credit.Record, credit.EvalMemo) error) error {
	return s.WithConn(ctx, func(conn *pgx.Conn) error {
		query := func(ctx context.Context, q string, args ...any) (sqlstore.CopyParts, error) {
			rows, err := conn.Query(ctx, q, args...)
			if err != nil {
				return nil, err
			}
			return &pgxCopyParts{rows: rows}, nil
		}
		return s.ScanEvalFileCopiesVia(ctx, query, items, r, fn)
	})
}

// pgxCopyParts are CopyParts over pgx rows; subject and body point into
// the connection's read buffer until the next row.
type pgxCopyParts struct {
	rows          pgx.Rows
	subject, body pgtype.DriverBytes
	part          int32
}

func (p *pgxCopyParts) Next() bool { return p.rows.Next() }
func (p *pgxCopyParts) Err() error { return p.rows.Err() }
func (p *pgxCopyParts) Close()     { p.rows.Close() } // Err reports what failed
func (p *pgxCopyParts) Part() ([]byte, int, []byte, error) {
	err := p.rows.Scan(&p.subject, &p.part, &p.body)
	return p.subject, int(p.part), p.body, err
}
