// Package snapfile writes and reads the snapshot files of the in-memory
// indexes (the name index, the hit-check index): little-endian values and
// length-prefixed arrays, ending with a CRC-32C of everything before it,
// written through a temporary file renamed over the old one. A file that
// is truncated, corrupt or has bytes after its checksum is refused whole:
// a snapshot is a cache, and the index then loads from the store.
package snapfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/xinyong/xinyong/internal/credit"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// MaxLen bounds any one array of a snapshot (16 GiB of bytes), so that a
// corrupt length cannot ask for more memory than the file could hold.
const MaxLen = 1 << 34

// Writer writes values and keeps a running checksum; the first error
// sticks (Err).
type Writer struct {
	w   *bufio.Writer
	crc hash.Hash32
	Err error
	buf [8]byte
}

// NewWriter writes to w through a 1 MiB buffer.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.New(crcTable)}
}

// Write writes b as it is.
func (s *Writer) Write(b []byte) {
	if s.Err != nil {
		return
	}
	if _, err := s.w.Write(b); err != nil {
		s.Err = err
		return
	}
	s.crc.Write(b)
}

// U32 writes v.
func (s *Writer) U32(v uint32) {
	binary.LittleEndian.PutUint32(s.buf[:4], v)
	s.Write(s.buf[:4])
}

// U64 writes v.
func (s *Writer) U64(v uint64) {
	binary.LittleEndian.PutUint64(s.buf[:], v)
	s.Write(s.buf[:])
}

// Bytes writes b with its length.
func (s *Writer) Bytes(b []byte) { s.U64(uint64(len(b))); s.Write(b) }

// Str writes v with its length.
func (s *Writer) Str(v string) { s.Bytes([]byte(v)) }

// U32s writes v with its length.
func (s *Writer) U32s(v []uint32) { s.U64(uint64(len(v))); s.U32sRaw(v) }

// U32sRaw writes v without its length.
func (s *Writer) U32sRaw(v []uint32) {
	var b [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(b)/4)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], v[i])
		}
		s.Write(b[:4*n])
		v = v[n:]
	}
}

// U64s writes v with its length.
func (s *Writer) U64s(v []uint64) {
	s.U64(uint64(len(v)))
	var b [4096]byte
	for len(v) > 0 {
		n := min(len(v), len(b)/8)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint64(b[8*i:], v[i])
		}
		s.Write(b[:8*n])
		v = v[n:]
	}
}

// Head writes the file's magic (its kind and format version) and the
// change-feed entry the snapshot was taken at.
func (s *Writer) Head(magic string, m credit.FeedMark) {
	s.Write([]byte(magic))
	s.U64(uint64(m.Pos))
	s.Str(m.Kind)
	s.Str(m.Ref)
	s.U64(uint64(m.At))
}

// Finish writes the checksum and flushes, or returns the first error.
func (s *Writer) Finish() error {
	if s.Err != nil {
		return s.Err
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], s.crc.Sum32())
	if _, err := s.w.Write(sum[:]); err != nil {
		return err
	}
	return s.w.Flush()
}

// Reader is Writer's counterpart; the first error sticks (Err).
type Reader struct {
	r   *bufio.Reader
	crc hash.Hash32
	Err error
	buf [8]byte
}

// NewReader reads r through a 1 MiB buffer.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 1<<20), crc: crc32.New(crcTable)}
}

// Read fills b.
func (s *Reader) Read(b []byte) {
	if s.Err != nil {
		return
	}
	if _, err := io.ReadFull(s.r, b); err != nil {
		s.Err = err
		return
	}
	s.crc.Write(b)
}

// U32 reads a value.
func (s *Reader) U32() uint32 {
	s.Read(s.buf[:4])
	if s.Err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s.buf[:4])
}

// U64 reads a value.
func (s *Reader) U64() uint64 {
	s.Read(s.buf[:])
	if s.Err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s.buf[:])
}

// Length reads an array's length of elements of unit bytes, refusing one
// past MaxLen.
func (s *Reader) Length(unit int) int {
	n := s.U64()
	if s.Err == nil && n*uint64(unit) > MaxLen {
		s.Err = fmt.Errorf("array of %d elements", n)
	}
	if s.Err != nil {
		return 0
	}
	return int(n)
}

// BytesN reads n bytes.
func (s *Reader) BytesN(n int) []byte {
	b := make([]byte, n)
	s.Read(b)
	return b
}

// Bytes reads bytes written with their length.
func (s *Reader) Bytes() []byte { return s.BytesN(s.Length(1)) }

// Str reads a string written with its length.
func (s *Reader) Str() string { return string(s.Bytes()) }

// U32s reads values written with their length.
func (s *Reader) U32s() []uint32 {
	n := s.Length(4)
	return s.U32sInto(make([]uint32, 0, n), n)
}

// U32sInto appends n values written without their length to dst.
func (s *Reader) U32sInto(dst []uint32, n int) []uint32 {
	var b [4096]byte
	for n > 0 && s.Err == nil {
		k := min(n, len(b)/4)
		s.Read(b[:4*k])
		if s.Err != nil {
			break
		}
		for i := 0; i < k; i++ {
			dst = append(dst, binary.LittleEndian.Uint32(b[4*i:]))
		}
		n -= k
	}
	return dst
}

// U64s reads values written with their length.
func (s *Reader) U64s() []uint64 {
	n := s.Length(8)
	out := make([]uint64, 0, n)
	var b [4096]byte
	for n > 0 && s.Err == nil {
		k := min(n, len(b)/8)
		s.Read(b[:8*k])
		if s.Err != nil {
			break
		}
		for i := 0; i < k; i++ {
			out = append(out, binary.LittleEndian.Uint64(b[8*i:]))
		}
		n -= k
	}
	return out
}

// Head reads what Writer.Head wrote, refusing a file of another kind or
// format version.
func (s *Reader) Head(magic string) (credit.FeedMark, error) {
	if string(s.BytesN(len(magic))) != magic {
		return credit.FeedMark{}, errors.New("not a snapshot of this kind and version")
	}
	var m credit.FeedMark
	m.Pos = int64(s.U64())
	m.Kind = s.Str()
	m.Ref = s.Str()
	m.At = int64(s.U64())
	return m, nil
}

// Verify reads the checksum and checks it against what was read, and that
// nothing follows it; it returns the first error of the reads before.
func (s *Reader) Verify() error {
	if s.Err != nil {
		return fmt.Errorf("snapshot unreadable: %w", s.Err)
	}
	want := s.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(s.r, sum[:]); err != nil {
		return fmt.Errorf("snapshot truncated: %w", err)
	}
	if binary.LittleEndian.Uint32(sum[:]) != want {
		return errors.New("snapshot checksum does not match")
	}
	if _, err := s.r.ReadByte(); err != io.EOF {
		return errors.New("snapshot has bytes after its checksum")
	}
	return nil
}

// Save writes dir/name with write through a temporary file in dir,
// renamed over the old file once it is complete and synced.
func Save(dir, name string, write func(io.Writer) error) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, name+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, a no-op
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, name))
}

// Open opens dir/name; (nil, nil) when there is none.
func Open(dir, name string) (*os.File, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return f, err
}
