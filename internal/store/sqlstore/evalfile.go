package sqlstore

import (
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// An ev_files body is a subject's records, the columns evaluation reads
// (evalRecordSelect), in ID order, packed so that a full recompute reads
// one short row per subject instead of walking records_subject into the
// records table (10M records: 88 s on SQLite, 37 s on PostgreSQL, before
// any scoring). Records are immutable and never deleted, so the body only
// ever grows; the evaluation follower rewrites it whole when the subject's
// file changes.
//
// Layout: the format byte, the number of records (uvarint), then per
// record its length (uvarint) and
//
//	flags (1 byte: 1 = decided_on set, 2 = received_at set)
//	item, id, catalog_version, fact, supersedes, dept, doc_no  (strings)
//	decided_on, received_at  (varint microseconds, each only if flagged)
//	severity, subject_kind  (strings)
//	field count (uvarint), then key and value of each, keys sorted
//
// A string is uvarint(2n) and n bytes, a literal, or uvarint(2k+1), the
// k-th non-empty literal earlier in the same body: item codes, departments,
// field keys and the ID a correction supersedes repeat within a file.
const evalFileFormat = 1

// errEvalFile is a body this code cannot read.
var errEvalFile = errors.New("malformed evaluation file copy")

// encodeEvalFile appends the body of recs (sorted by ID here) to buf.
func encodeEvalFile(buf []byte, recs []credit.Record) []byte {
	if !slices.IsSortedFunc(recs, func(a, b credit.Record) int { return strings.Compare(a.ID, b.ID) }) {
		recs = slices.Clone(recs)
		slices.SortStableFunc(recs, func(a, b credit.Record) int { return strings.Compare(a.ID, b.ID) })
	}
	buf = append(buf, evalFileFormat)
	buf = binary.AppendUvarint(buf, uint64(len(recs)))
	seen := map[string]int{}
	var rec []byte
	var keys []string
	str := func(s string) {
		if s == "" {
			rec = binary.AppendUvarint(rec, 0)
			return
		}
		if k, ok := seen[s]; ok {
			rec = binary.AppendUvarint(rec, uint64(2*k+1))
			return
		}
		seen[s] = len(seen)
		rec = binary.AppendUvarint(rec, uint64(2*len(s)))
		rec = append(rec, s...)
	}
	for i := range recs {
		r := &recs[i]
		rec = rec[:0]
		var flags byte
		if !r.DecidedOn.IsZero() {
			flags |= 1
		}
		if !r.Received.IsZero() {
			flags |= 2
		}
		rec = append(rec, flags)
		for _, s := range [...]string{r.Item, r.ID, r.Catalog, string(r.Fact), r.Supersedes, r.Dept, r.DocNo} {
			str(s)
		}
		if flags&1 != 0 {
			rec = binary.AppendVarint(rec, r.DecidedOn.UnixMicro())
		}
		if flags&2 != 0 {
			rec = binary.AppendVarint(rec, r.Received.UnixMicro())
		}
		str(string(r.Severity))
		str(string(r.Kind))
		keys = keys[:0]
		for k := range r.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		rec = binary.AppendUvarint(rec, uint64(len(keys)))
		for _, k := range keys {
			str(k)
			str(r.Fields[k])
		}
		buf = binary.AppendUvarint(buf, uint64(len(rec)))
		buf = append(buf, rec...)
	}
	return buf
}

// decodeEvalFile appends to out the records of body whose item want
// accepts (every record when want is nil), as scanEvalRecord would give
// them for subject. The strings share one copy of the body.
func decodeEvalFile(subject string, body []byte, want func(item string) bool, out []credit.Record) ([]credit.Record, error) {
	if len(body) == 0 || body[0] != evalFileFormat {
		return out, errEvalFile
	}
	s := string(body[1:])
	var (
		table []string
		pos   int
		bad   bool
	)
	uvarint := func() uint64 {
		var v uint64
		for shift := uint(0); pos < len(s) && shift < 64; shift += 7 {
			b := s[pos]
			pos++
			v |= uint64(b&0x7f) << shift
			if b < 0x80 {
				return v
			}
		}
		bad = true
		return 0
	}
	varint := func() int64 {
		u := uvarint()
		return int64(u>>1) ^ -int64(u&1) // zig-zag, as binary.AppendVarint writes
	}
	str := func() string {
		v := uvarint()
		if v&1 == 1 {
			k := v >> 1
			if k >= uint64(len(table)) {
				bad = true
				return ""
			}
			return table[k]
		}
		n := v >> 1
		if n == 0 {
			return ""
		}
		if n > uint64(len(s)-pos) {
			bad = true
			return ""
		}
		v2 := s[pos : pos+int(n)]
		pos += int(n)
		table = append(table, v2)
		return v2
	}
	count := uvarint()
	for ; count > 0 && !bad; count-- {
		n := uvarint()
		if bad || n > uint64(len(s)-pos) {
			return out, errEvalFile
		}
		end := pos + int(n)
		if pos >= end {
			return out, errEvalFile
		}
		flags := s[pos]
		pos++
		var r credit.Record
		r.SubjectID = subject
		r.Item = str()
		r.ID = str()
		r.Catalog = str()
		r.Fact = credit.FactKind(str())
		r.Supersedes = str()
		r.Dept = str()
		r.DocNo = str()
		if flags&1 != 0 {
			r.DecidedOn = time.UnixMicro(varint()).UTC()
		}
		if flags&2 != 0 {
			r.Received = time.UnixMicro(varint()).UTC()
		}
		r.Severity = credit.Severity(str())
		r.Kind = credit.SubjectKind(str())
		nf := uvarint()
		if bad || nf > uint64(end-pos) {
			return out, errEvalFile
		}
		keep := want == nil || want(r.Item)
		if keep && nf > 0 {
			r.Fields = make(credit.Fields, nf)
		}
		for range nf {
			k, v := str(), str()
			if keep {
				r.Fields[k] = v
			}
		}
		if bad || pos != end {
			return out, errEvalFile
		}
		if keep {
			out = append(out, r)
		}
	}
	if bad || pos != len(s) {
		return out, errEvalFile
	}
	return out, nil
}
