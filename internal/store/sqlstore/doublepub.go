package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// FindRecords finds original facts by item, department, the start of the
// document number and the decision date, newest decision first. The
// records_item_decided index (migration 0020) serves the order.
func (s *Store) FindRecords(ctx context.Context, q credit.RecordQuery) ([]credit.Record, error) {
	const op = "store.FindRecords"
	if len(q.Items) == 0 {
		return nil, credit.E(op, credit.Invalid, "a record search names the items it searches")
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Limit > 500 || q.Offset < 0 || q.Offset > 10000 {
		return nil, credit.E(op, credit.Invalid, "limit %d or offset %d out of range (limit at most 500, offset 0 to 10000)", q.Limit, q.Offset)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	in := make([]string, len(q.Items))
	for i, it := range q.Items {
		in[i] = arg(it)
	}
	where = append(where, "item IN ("+strings.Join(in, ", ")+")", "fact = "+arg(string(credit.Original)))
	if q.Dept != "" {
		where = append(where, "dept = "+arg(q.Dept))
	}
	if q.DocNo != "" {
		// A prefix match on the stored number: LIKE's wildcards in the
		// number are escaped, so they match themselves.
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.DocNo)
		where = append(where, "doc_no LIKE "+arg(esc+"%")+` ESCAPE '\'`)
	}
	if !q.From.IsZero() {
		where = append(where, "decided_on >= "+arg(q.From.UnixMicro()))
	}
	if !q.To.IsZero() {
		where = append(where, "decided_on < "+arg(q.To.UnixMicro()))
	}
	query := recordSelect + "WHERE " + strings.Join(where, " AND ") +
		" ORDER BY decided_on DESC NULLS LAST, id DESC LIMIT " + arg(q.Limit) + " OFFSET " + arg(q.Offset)
	out, err := s.queryRecords(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
