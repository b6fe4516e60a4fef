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

// An ev_files copy is what evaluation reads of a subject: its registration
// data (evalSubjectCols) and its records (the columns of evalRecordSelect)
// in ID order, packed, so that a full recompute reads one short run of
// rows per subject in key order instead of walking records_subject into
// the records table (10M records: 88 s on SQLite, 37 s on PostgreSQL,
// before any scoring). The evaluation follower rewrites it whole when the
// subject's file or registration changes.
//
// Layout: the format byte; the subject's kind, code, name, organisation
// type, region and status (strings), a flag byte (1 = registered_on set)
// and registered_on (varint microseconds, if set); the memo's key (a
// string); the number of records (uvarint), then per record its length
// (uvarint) and
//
//	flags (1 byte: 1 = decided_on set, 2 = received_at set)
//	item, id, catalog_version, fact, supersedes, dept, doc_no  (strings)
//	decided_on, received_at  (varint microseconds, each only if flagged)
//	severity, subject_kind  (strings)
//	field count (uvarint), then key and value of each, keys sorted
//	the record's memo entry (a string)
//
// Format 2, written before memos were kept, has neither the key nor the
// entries; it is still read (its memo is empty).
// A string is uvarint(2n) and n bytes, a literal, or uvarint(2k+1), the
// k-th non-empty literal earlier in the same copy: item codes, departments,
// field keys and the ID a correction supersedes repeat within a file.
//
// The copy is stored cut into parts of at most evalFilePart bytes (see
// the migration 0025).
const (
	evalFileFormat   = 3
	evalFileFormatV2 = 2 // no memo
	evalFilePart     = 900
)

// errEvalFile is a body this code cannot read.
var errEvalFile = errors.New("malformed evaluation file copy")

// encodeEvalFile appends the copy of subj with recs (sorted by ID here,
// their memo entries with them) to buf.
func encodeEvalFile(buf []byte, subj *credit.Subject, recs []credit.Record, memo credit.EvalMemo) []byte {
	entry := func(i int) string {
		if i < len(memo.Records) {
			return memo.Records[i]
		}
		return ""
	}
	byID := func(a, b int) int { return strings.Compare(recs[a].ID, recs[b].ID) }
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	if !slices.IsSortedFunc(order, byID) {
		slices.SortStableFunc(order, byID)
	}
	buf = append(buf, evalFileFormat)
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
	for _, v := range [...]string{string(subj.Kind), subj.Code, subj.Name, subj.OrgType, subj.Region, subj.Status} {
		str(v)
	}
	if subj.RegisteredOn.IsZero() {
		rec = append(rec, 0)
	} else {
		rec = append(rec, 1)
		rec = binary.AppendVarint(rec, subj.RegisteredOn.UnixMicro())
	}
	str(memo.Key)
	buf = append(buf, rec...)
	buf = binary.AppendUvarint(buf, uint64(len(recs)))
	for _, i := range order {
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
		str(entry(i))
		buf = binary.AppendUvarint(buf, uint64(len(rec)))
		buf = append(buf, rec...)
	}
	return buf
}

// reusedFields is an empty map for the fields of the record appended next
// to out: the map the record before it in that slot had, cleared, if any.
// A pass decodes ten million records; a map made for each was two thirds
// of the decoding (BENCHMARKS.md).
func reusedFields(out []credit.Record, n uint64) credit.Fields {
	if len(out) < cap(out) {
		if m := out[:len(out)+1][len(out)].Fields; m != nil {
			clear(m)
			return m
		}
	}
	return make(credit.Fields, n)
}

// decodeEvalFile reads the copy body of subject: the subject as
// rangeSubjects gives it, and, appended to out, the records whose item
// want accepts (every record when want is nil) as scanEvalRecord gives
// them, with their memo entries. The strings share one copy of the body.
func decodeEvalFile(subject string, body []byte, want func(item string) bool, out []credit.Record) (*credit.Subject, []credit.Record, credit.EvalMemo, error) {
	var d evalFileDecoder
	return d.decode(subject, body, want, out)
}

// evalFileDecoder decodes copies one after the other, reusing its table of
// strings and its memo entries: a full pass decodes a million.
type evalFileDecoder struct {
	table   []string
	entries []string
}

// decode decodes a copy; the memo's entries are valid until the next call.
func (d *evalFileDecoder) decode(subject string, body []byte, want func(item string) bool, out []credit.Record) (*credit.Subject, []credit.Record, credit.EvalMemo, error) {
	var memo credit.EvalMemo
	if len(body) == 0 || (body[0] != evalFileFormat && body[0] != evalFileFormatV2) {
		return nil, out, memo, errEvalFile
	}
	withMemo := body[0] == evalFileFormat
	clear(d.entries) // the entries of the copy before are not kept alive
	entries := d.entries[:0]
	defer func() { d.entries = entries[:0] }()
	s := string(body[1:])
	clear(d.table) // the strings of the copy before are not kept alive
	table := d.table[:0]
	defer func() { d.table = table }()
	var (
		pos int
		bad bool
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
	subj := &credit.Subject{ID: subject}
	subj.Kind = credit.SubjectKind(str())
	subj.Code, subj.Name, subj.OrgType, subj.Region, subj.Status = str(), str(), str(), str(), str()
	switch {
	case pos >= len(s):
		bad = true
	case s[pos] == 1:
		pos++
		subj.RegisteredOn = time.UnixMicro(varint()).UTC()
	case s[pos] == 0:
		pos++
	default:
		bad = true
	}
	if withMemo {
		memo.Key = str()
	}
	count := uvarint()
	for ; count > 0 && !bad; count-- {
		n := uvarint()
		if bad || n > uint64(len(s)-pos) {
			return nil, out, memo, errEvalFile
		}
		end := pos + int(n)
		if pos >= end {
			return nil, out, memo, errEvalFile
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
			return nil, out, memo, errEvalFile
		}
		keep := want == nil || want(r.Item)
		if keep && nf > 0 {
			r.Fields = reusedFields(out, nf)
		}
		for range nf {
			k, v := str(), str()
			if keep {
				r.Fields[k] = v
			}
		}
		var entry string
		if withMemo {
			entry = str()
		}
		if bad || pos != end {
			return nil, out, memo, errEvalFile
		}
		if keep {
			out = append(out, r)
			entries = append(entries, entry)
		}
	}
	if bad || pos != len(s) {
		return nil, out, memo, errEvalFile
	}
	if withMemo {
		memo.Records = entries
	}
	return subj, out, memo, nil
}
