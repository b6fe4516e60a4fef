package sanction

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// The index keeps entries and memberships as bytes in pointer-free tables
// (see table). This is their encoding: strings as a length and bytes,
// integers as varints, times as seconds and nanoseconds since the epoch in
// UTC. Only this process reads it, so it has no version; the round trip
// of every field is tested (TestEntryCodec).

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) strs(ss []string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) int(n int64) { e.b = binary.AppendVarint(e.b, n) }

// flags packs booleans into one byte, the first in the lowest bit.
func (e *encoder) flags(bs ...bool) {
	var f byte
	for i, b := range bs {
		if b {
			f |= 1 << i
		}
	}
	e.b = append(e.b, f)
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.int(t.Unix())
	e.int(int64(t.Nanosecond()))
}

type decoder struct{ b []byte }

// fail reports bytes this package did not write: a bug, not bad input.
func (d *decoder) fail(what string) {
	panic(fmt.Sprintf("sanction: index bytes do not decode (%s): %d bytes left", what, len(d.b)))
}

func (d *decoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("uvarint")
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) int() int64 {
	n, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("varint")
	}
	d.b = d.b[k:]
	return n
}

// view returns the next string's bytes without copying them.
func (d *decoder) view() []byte {
	n := d.uvarint()
	if uint64(len(d.b)) < n {
		d.fail("string")
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.view()) }

func (d *decoder) flags() byte {
	if len(d.b) == 0 {
		d.fail("flags")
	}
	f := d.b[0]
	d.b = d.b[1:]
	return f
}

func (d *decoder) strs() []string {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("string list")
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) time() time.Time {
	if len(d.b) == 0 {
		d.fail("time")
	}
	set := d.b[0]
	d.b = d.b[1:]
	if set == 0 {
		return time.Time{}
	}
	sec := d.int()
	return time.Unix(sec, d.int()).UTC()
}

// entryHead is the start of an encoded entry: what listing, counting and
// the expiry sweep need, read without decoding the rest.
type entryHead struct {
	list  []byte
	seq   int64
	state credit.ListStep
	until time.Time
}

// active is Entry.Active on the head.
func (h *entryHead) active(t time.Time) bool {
	return inForce(h.state, h.until, t)
}

func encodeEntry(e *Entry) []byte {
	enc := encoder{b: make([]byte, 0, 512)}
	// The head first (entryHead).
	enc.str(e.List)
	enc.int(e.Seq)
	enc.str(string(e.State))
	d := &e.Detail
	enc.time(d.Until)
	enc.str(e.ID)
	enc.str(e.SubjectID)
	enc.str(e.DocNo)
	enc.str(e.NoticeDoc)
	enc.str(e.DecidedDept)
	enc.strs(d.BasisRecords)
	enc.b = binary.AppendUvarint(enc.b, uint64(len(d.Persons)))
	for _, p := range d.Persons {
		enc.str(p.Role)
		enc.str(p.Name)
		enc.str(p.IDHash)
		enc.str(p.IDMasked)
	}
	enc.str(d.Grounds)
	enc.strs(d.Basis)
	enc.str(d.SubjectName)
	enc.strs(d.FormerNames)
	enc.str(string(d.SubjectKind))
	enc.str(d.Rights)
	enc.time(d.ObjectionDeadline)
	enc.strs(d.Measures)
	enc.str(d.Exit)
	enc.str(d.Remedies)
	enc.time(d.Since)
	enc.str(d.RemovalReason)
	enc.str(d.Note)
	enc.flags(d.DeadlineProvisional, d.Reported)
	enc.str(e.Unit)
	enc.str(d.OnBehalfOf)
	enc.str(d.Origin)
	return enc.b
}

func decodeHead(d *decoder) entryHead {
	return entryHead{list: d.view(), seq: d.int(), state: credit.ListStep(d.view()), until: d.time()}
}

// peekEntry reads an encoded entry's head.
func peekEntry(b []byte) entryHead {
	d := decoder{b: b}
	return decodeHead(&d)
}

// decodeEntry decodes an entry written by encodeEntry (without its
// history: the index does not keep it).
func decodeEntry(b []byte) *Entry {
	dec := decoder{b: b}
	h := decodeHead(&dec)
	e := &Entry{List: string(h.list), Seq: h.seq, State: h.state}
	d := &e.Detail
	d.Until = h.until
	e.ID = dec.str()
	e.SubjectID = dec.str()
	e.DocNo = dec.str()
	e.NoticeDoc = dec.str()
	e.DecidedDept = dec.str()
	d.BasisRecords = dec.strs()
	if n := dec.uvarint(); n > 0 {
		if n > uint64(len(dec.b)) {
			dec.fail("persons")
		}
		d.Persons = make([]credit.ResponsiblePerson, n)
		for i := range d.Persons {
			p := &d.Persons[i]
			p.Role, p.Name, p.IDHash, p.IDMasked = dec.str(), dec.str(), dec.str(), dec.str()
		}
	}
	d.Grounds = dec.str()
	d.Basis = dec.strs()
	d.SubjectName = dec.str()
	d.FormerNames = dec.strs()
	d.SubjectKind = credit.SubjectKind(dec.str())
	d.Rights = dec.str()
	d.ObjectionDeadline = dec.time()
	d.Measures = dec.strs()
	d.Exit = dec.str()
	d.Remedies = dec.str()
	d.Since = dec.time()
	d.RemovalReason = dec.str()
	d.Note = dec.str()
	fl := dec.flags()
	d.DeadlineProvisional, d.Reported = fl&1 != 0, fl&2 != 0
	e.Unit = dec.str()
	d.OnBehalfOf = dec.str()
	d.Origin = dec.str()
	if len(dec.b) != 0 {
		dec.fail("trailing bytes")
	}
	return e
}

// membership is one way a subject or a person is on a list: as the listed
// subject (via "") or as one of its responsible persons (via = role). The
// snapshot keeps memberships encoded; a check decodes those of the
// subjects it finds listed.
type membership struct {
	lt      *catalog.ListType
	entryID string
	via     string
	docNo   string
	since   time.Time
	until   time.Time
	// suspended names what is under verification ("" when nothing is):
	// the entry itself or one of its basis records.
	suspended string
}

// active reports whether the membership lists at t (only decided entries
// become memberships; past its period an entry no longer lists, before
// the removal is written).
func (m *membership) active(t time.Time) bool { return inForce(credit.StepDecided, m.until, t) }

func encodeMemberships(ms []membership) []byte {
	var enc encoder
	for _, m := range ms {
		enc.str(m.lt.Code)
		enc.str(m.entryID)
		enc.str(m.via)
		enc.str(m.docNo)
		enc.time(m.since)
		enc.time(m.until)
		enc.str(m.suspended)
	}
	return enc.b
}

// decodeMemberships decodes what encodeMemberships wrote; list types
// resolve against cat, from which they were taken.
func decodeMemberships(cat *catalog.Catalog, b []byte) []membership {
	dec := decoder{b: b}
	var out []membership
	for len(dec.b) > 0 {
		code := dec.view()
		lt, err := cat.List(string(code))
		if err != nil {
			dec.fail("list type " + string(code))
		}
		out = append(out, membership{lt: lt, entryID: dec.str(), via: dec.str(), docNo: dec.str(),
			since: dec.time(), until: dec.time(), suspended: dec.str()})
	}
	return out
}
