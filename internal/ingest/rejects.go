package ingest

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/gen"
	"github.com/xinyong/xinyong/internal/pii"
)

// ReasonHeader is the column added to a rejects file.
const ReasonHeader = "错误原因"

// RejectRow is one rejected row with all its problems.
type RejectRow struct {
	Row     int
	Cells   []string
	Reasons []credit.Reject
}

// sealRow seals a rejected row's cells (its rejects carry the same cells)
// for storage: the first reject carries them sealed, the others nothing.
// Without a data key they are stored as they are.
func sealRow(s *pii.Sealer, rs []credit.Reject) error {
	if len(rs) == 0 || s == nil {
		return nil
	}
	b, err := json.Marshal(rs[0].Raw)
	if err != nil {
		return err
	}
	if rs[0].Sealed, err = s.SealBlob(b); err != nil {
		return err
	}
	return nil
}

// OpenRejects fills each reject's Raw from what the store keeps (Sealed):
// the department that sent the rows reads them in its own format.
func OpenRejects(s *pii.Sealer, rs []credit.Reject) error {
	for i := range rs {
		v := rs[i].Sealed
		var b []byte
		switch {
		case v == "":
			continue
		case pii.IsSealedBlob(v):
			if s == nil {
				return credit.Say("ingest.OpenRejects", credit.Unavailable, "平台未配置数据密钥，无法打开被拒绝的行", "no data key is configured: the rejected rows cannot be opened")
			}
			var err error
			if b, err = s.OpenBlob(v); err != nil {
				return credit.Wrap("ingest.OpenRejects", credit.Internal, err)
			}
		default:
			b = []byte(v) // kept before rows were sealed, or without a key
		}
		if err := json.Unmarshal(b, &rs[i].Raw); err != nil {
			return credit.E("ingest.OpenRejects", credit.Internal, "batch %s row %d: %w", rs[i].BatchID, rs[i].Row, err)
		}
	}
	return nil
}

// MaskIdentities masks, in rejected rows' cells, anything that looks like
// an identity number (pii.RedactIDs), whatever column it was sent in.
func MaskIdentities(rs []credit.Reject) {
	for i := range rs {
		for j, c := range rs[i].Raw {
			rs[i].Raw[j] = pii.RedactIDs(c)
		}
	}
}

// GroupRejects folds rejects (in row order) into one entry per row.
func GroupRejects(rs []credit.Reject) []RejectRow {
	var out []RejectRow
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Row == r.Row {
			out[n-1].Reasons = append(out[n-1].Reasons, r)
			continue
		}
		out = append(out, RejectRow{Row: r.Row, Cells: r.Raw, Reasons: []credit.Reject{r}})
	}
	return out
}

// reasonText is a row's problems in one cell, in Chinese, each naming the
// column the department used: "处罚决定日期: 决定日期2030-01-01晚于今天". A
// reason kept before reasons had a Chinese text reads in English.
func reasonText(b *credit.Batch, m *Mapping, rr RejectRow) string {
	parts := make([]string, len(rr.Reasons))
	for i, r := range rr.Reasons {
		reason := r.ReasonZh
		if reason == "" {
			reason = r.Reason
		}
		col := r.Field
		if m != nil {
			var hs []string
			for j, code := range m.Cols {
				if code == r.Field && j < len(b.Header) {
					hs = append(hs, b.Header[j])
				}
			}
			if len(hs) > 0 {
				col = strings.Join(hs, "/")
			}
		}
		if col == "" {
			parts[i] = fmt.Sprintf("第%d行: %s", rr.Row, reason)
		} else {
			parts[i] = col + ": " + reason
		}
	}
	return strings.Join(parts, "；")
}

// RejectsFileName is the name of a batch's rejects file.
func RejectsFileName(b *credit.Batch) string {
	base := b.FileName
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if base == "" {
		base = b.ID
	}
	ext := b.Format
	if ext == "" {
		ext = FormatCSV
	}
	return base + ".rejects." + ext
}

// WriteRejects writes a batch's rejected rows in the department's own
// format, encoding and headers, plus a reason column, so it can fix the
// rows and send the file again. it may be nil (reasons then name fields
// by code).
func WriteRejects(w io.Writer, b *credit.Batch, m *Mapping, rs []credit.Reject) error {
	rows := GroupRejects(rs)
	header := append(append([]string(nil), b.Header...), ReasonHeader)
	line := func(rr RejectRow) []string {
		cells := make([]string, len(header))
		copy(cells, rr.Cells)
		if len(rr.Cells) > len(b.Header) { // a row with too many cells keeps them all
			cells = append(append([]string(nil), rr.Cells...), "")
		}
		cells[len(cells)-1] = reasonText(b, m, rr)
		return cells
	}
	switch b.Format {
	case FormatXLSX:
		return gen.WriteXLSX(w, header, len(rows), func(i int) []string { return line(rows[i-1]) })
	case FormatJSONL:
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, rr := range rows {
			cells := line(rr)
			obj := orderedObject{}
			for i, c := range cells[:len(cells)-1] {
				if c == "" {
					continue
				}
				h := fmt.Sprintf("column_%d", i+1)
				if i < len(b.Header) {
					h = b.Header[i]
				}
				obj = append(obj, [2]string{h, c})
			}
			obj = append(obj, [2]string{ReasonHeader, cells[len(cells)-1]})
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return bw.Flush()
	default:
		var out io.Writer = w
		var closer io.Closer
		switch b.Encoding {
		case EncGB18030:
			tw := simplifiedchinese.GB18030.NewEncoder().Writer(w)
			out = tw
			closer, _ = tw.(io.Closer)
		case EncUTF8BOM:
			if _, err := io.WriteString(w, "\ufeff"); err != nil {
				return err
			}
		}
		cw := csv.NewWriter(out)
		if err := cw.Write(header); err != nil {
			return err
		}
		for _, rr := range rows {
			if err := cw.Write(line(rr)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if closer != nil {
			return closer.Close()
		}
		return nil
	}
}

// orderedObject encodes as a JSON object keeping key order.
type orderedObject [][2]string

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
