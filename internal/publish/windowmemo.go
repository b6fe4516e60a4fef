package publish

import (
	"encoding/binary"
	"time"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/credit"
)

// A window is kept, compact, in the memo of an evaluation file copy
// (credit.EvalMemo), so that a full pass over a million subjects reads
// each record's window instead of classifying the record again (the
// classification was half of a pass's scoring). The memo is WindowOf's
// result, kept under the catalogue's fingerprint: the rules stay in
// WindowOf, and a memo of another catalogue is not read.
//
// Layout: a flag byte (1 published, 2 person dishonest, 4 From set,
// 8 MinEnd set, 16 MaxEnd set), severity and domain (uvarint length and
// bytes), then each end that is set as varint Unix seconds.
const (
	memoPublished = 1 << iota
	memoPerson
	memoFrom
	memoMinEnd
	memoMaxEnd
)

// AppendWindow appends w in the form ParseWindow reads.
func AppendWindow(b []byte, w Window) []byte {
	var flags byte
	if w.Published {
		flags |= memoPublished
	}
	if w.PersonDishonest {
		flags |= memoPerson
	}
	ends := [...]time.Time{w.From, w.MinEnd, w.MaxEnd}
	for i, t := range ends {
		if !t.IsZero() {
			flags |= memoFrom << i
		}
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(w.Severity)))
	b = append(b, w.Severity...)
	b = binary.AppendUvarint(b, uint64(len(w.Domain)))
	b = append(b, w.Domain...)
	for _, t := range ends {
		if !t.IsZero() {
			b = binary.AppendVarint(b, t.Unix())
		}
	}
	return b
}

// ParseWindow reads a window AppendWindow wrote; false for anything else.
// Its instants are in China time, as WindowOf gives them.
func ParseWindow(s string) (Window, bool) {
	var w Window
	if s == "" {
		return w, false
	}
	flags, pos := s[0], 1
	if flags >= memoMaxEnd<<1 {
		return w, false
	}
	str := func() (string, bool) {
		n, k := uvarintOf(s[pos:])
		if k <= 0 || n > uint64(len(s)-pos-k) {
			return "", false
		}
		pos += k
		v := s[pos : pos+int(n)]
		pos += int(n)
		return v, true
	}
	sev, ok := str()
	if !ok {
		return w, false
	}
	dom, ok := str()
	if !ok {
		return w, false
	}
	w.Severity, w.Domain = credit.Severity(sev), dom
	w.Published, w.PersonDishonest = flags&memoPublished != 0, flags&memoPerson != 0
	for i, t := range [...]*time.Time{&w.From, &w.MinEnd, &w.MaxEnd} {
		if flags&(memoFrom<<i) == 0 {
			continue
		}
		u, k := uvarintOf(s[pos:])
		if k <= 0 {
			return Window{}, false
		}
		pos += k
		*t = time.Unix(int64(u>>1)^-int64(u&1), 0).In(chinatime.Location)
	}
	if pos != len(s) {
		return Window{}, false
	}
	return w, true
}

// uvarintOf is binary.Uvarint over a string, without copying it.
func uvarintOf(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
