package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store/sqlstore"
)

// CommitChunk writes an import chunk in one transaction on one pgx
// connection, with the records sent by COPY (several times faster than
// multi-row INSERTs for bulk import) and the other statements pipelined.
func (s *Store) CommitChunk(ctx context.Context, c *credit.Chunk) error {
	args, err := s.ChunkRecordArgs(c)
	if err != nil {
		return err
	}
	return s.CommitChunkWith(ctx, c, args, func(ctx context.Context, fn func(sqlstore.ChunkTx) error) error {
		return s.WithConn(ctx, func(conn *pgx.Conn) error {
			return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return fn(pgChunkTx{tx}) })
		})
	})
}

type pgChunkTx struct{ tx pgx.Tx }

func (t pgChunkTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t pgChunkTx) ExecMany(ctx context.Context, q string, argLists [][]any) error {
	var b pgx.Batch
	for _, a := range argLists {
		b.Queue(q, a...)
	}
	return t.tx.SendBatch(ctx, &b).Close()
}

func (t pgChunkTx) InsertRecords(ctx context.Context, args []any) error {
	cols := sqlstore.RecordColumns()
	n := len(cols)
	rows := make([][]any, 0, len(args)/n)
	for i := 0; i+n <= len(args); i += n {
		rows = append(rows, args[i:i+n])
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"records"}, cols, pgx.CopyFromRows(rows))
	return err
}
