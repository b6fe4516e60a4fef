package report

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/skip2/go-qrcode"

	"github.com/xinyong/xinyong/internal/chinatime"
	"github.com/xinyong/xinyong/internal/signing"
)

// The PDF is drawn with go-pdf/fpdf: pure Go, no cgo, well kept, and it
// embeds a TrueType font as a subset of the glyphs used (with the
// ToUnicode map that lets pdftotext and screen readers read the Chinese
// back). The QR code comes from skip2/go-qrcode. Both are small and
// depend on nothing else.

// cjkFont is WenQuanYi Micro Hei cut to GB 2312 and the platform's own
// texts (font/README.md): the binary carries what a report needs, so a
// report renders the same on any machine.
//
//go:embed font/wqy-microhei-gb2312.ttf
var cjkFont []byte

const (
	pageW, pageH = 210.0, 297.0
	margin       = 15.0
	top          = 26.0 // below the running header
	bottom       = pageH - 18
	contentW     = pageW - 2*margin
)

// doc is one PDF being drawn.
type doc struct {
	p      *fpdf.Fpdf
	size   float64
	widths map[rune]float64 // of the current size
}

func (d *doc) font(size float64) {
	if size != d.size {
		d.size, d.widths = size, map[rune]float64{}
	}
	d.p.SetFont("cjk", "", size)
}

func (d *doc) runeWidth(r rune) float64 {
	w, ok := d.widths[r]
	if !ok {
		w = d.p.GetStringWidth(string(r))
		d.widths[r] = w
	}
	return w
}

// wrap breaks text into lines no wider than w: anywhere between Chinese
// characters, at a space within runs of Latin letters and digits when it
// can. (fpdf's MultiCell drops a character at some breaks of UTF-8 text.)
func (d *doc) wrap(text string, w float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		rs := []rune(para)
		start, width, lastSpace := 0, 0.0, -1
		for i := 0; i < len(rs); i++ {
			cw := d.runeWidth(rs[i])
			if rs[i] == ' ' {
				lastSpace = i
			}
			if width+cw > w && i > start {
				cut := i
				if lastSpace > start && isWordRune(rs[i]) && i-lastSpace < 24 {
					cut = lastSpace + 1
				}
				out = append(out, strings.TrimRight(string(rs[start:cut]), " "))
				start, width, lastSpace = cut, 0, -1
				for j := start; j < i; j++ {
					width += d.runeWidth(rs[j])
				}
			}
			width += cw
		}
		out = append(out, string(rs[start:]))
	}
	return out
}

func isWordRune(r rune) bool {
	return r < 0x2000 && r != ' '
}

// ensure starts a new page unless h more millimetres fit on this one.
func (d *doc) ensure(h float64) {
	if d.p.GetY()+h > bottom {
		d.p.AddPage()
		d.p.SetY(top)
	}
}

// text writes wrapped text at the left margin.
func (d *doc) text(s string, size, lh float64) {
	d.font(size)
	for _, l := range d.wrap(s, contentW) {
		d.ensure(lh)
		d.p.SetX(margin)
		d.p.CellFormat(contentW, lh, l, "", 1, "L", false, 0, "")
	}
}

// heading writes a section heading with a rule under it.
func (d *doc) heading(s string) {
	d.ensure(14)
	d.p.Ln(2)
	d.font(12.5)
	d.p.SetTextColor(20, 40, 90)
	d.p.SetX(margin)
	d.p.CellFormat(contentW, 8, s, "B", 1, "L", false, 0, "")
	d.p.SetTextColor(0, 0, 0)
	d.p.Ln(1.5)
}

// rows draws a two-column table of label and value.
func (d *doc) rows(rs []Field, labelW float64) {
	const lh = 5.2
	d.font(9.5)
	for _, r := range rs {
		ll := d.wrap(r.Label, labelW-2)
		vl := d.wrap(r.Value, contentW-labelW-2)
		h := float64(max(len(ll), len(vl)))*lh + 1.6
		if h > bottom-top {
			h = bottom - top
		}
		d.ensure(h)
		x, y := margin, d.p.GetY()
		d.p.SetFillColor(242, 245, 250)
		d.p.Rect(x, y, labelW, h, "FD")
		d.p.Rect(x+labelW, y, contentW-labelW, h, "D")
		for i, l := range ll {
			d.p.SetXY(x+1, y+0.8+float64(i)*lh)
			d.p.CellFormat(labelW-2, lh, l, "", 0, "L", false, 0, "")
		}
		for i, l := range vl {
			if y+0.8+float64(i+1)*lh > bottom {
				break
			}
			d.p.SetXY(x+labelW+1, y+0.8+float64(i)*lh)
			d.p.CellFormat(contentW-labelW-2, lh, l, "", 0, "L", false, 0, "")
		}
		d.p.SetXY(margin, y+h)
	}
}

// pairRows draws fields two to a row where both are short, full width
// otherwise: a report of fifty records stays a readable length.
func (d *doc) pairRows(rs []Field) {
	const (
		lh     = 5.2
		labelW = 30.0
	)
	half := contentW / 2
	d.font(9.5)
	short := func(f Field) bool {
		return len(d.wrap(f.Value, half-labelW-2)) == 1 && len(d.wrap(f.Label, labelW-2)) == 1
	}
	for i := 0; i < len(rs); i++ {
		if i+1 < len(rs) && short(rs[i]) && short(rs[i+1]) {
			h := lh + 1.6
			d.ensure(h)
			y := d.p.GetY()
			for j, f := range rs[i : i+2] {
				x := margin + float64(j)*half
				d.p.SetFillColor(242, 245, 250)
				d.p.Rect(x, y, labelW, h, "FD")
				d.p.Rect(x+labelW, y, half-labelW, h, "D")
				d.p.SetXY(x+1, y+0.8)
				d.p.CellFormat(labelW-2, lh, f.Label, "", 0, "L", false, 0, "")
				d.p.SetXY(x+labelW+1, y+0.8)
				d.p.CellFormat(half-labelW-2, lh, f.Value, "", 0, "L", false, 0, "")
			}
			d.p.SetXY(margin, y+h)
			i++
			continue
		}
		d.rows(rs[i:i+1], labelW)
	}
}

// entry draws one record or list entry.
func (d *doc) entry(n int, e Entry) {
	title := fmt.Sprintf("%d. %s", n, e.ItemName)
	if e.Severity != "" {
		title += " · " + e.Severity
	}
	d.ensure(16)
	d.p.Ln(1.5)
	d.font(10.5)
	d.p.SetX(margin)
	d.p.CellFormat(contentW, 6, title, "", 1, "L", false, 0, "")
	var rs []Field
	rs = append(rs, Field{Label: "数据来源", Value: e.Source})
	if e.DecidedOn != "" {
		rs = append(rs, Field{Label: "决定日期", Value: e.DecidedOn})
	}
	if e.Until != "" {
		rs = append(rs, Field{Label: "公示（共享）截止", Value: e.Until})
	}
	if len(e.Marks) > 0 {
		var ms []string
		for _, m := range e.Marks {
			ms = append(ms, m.Name)
		}
		rs = append(rs, Field{Label: "状态标注", Value: strings.Join(ms, "、")})
	}
	if e.Public != nil {
		rs = append(rs, Field{Label: "社会公示", Value: e.Public.Name})
	}
	rs = append(rs, e.Fields...)
	d.pairRows(rs)
}

var trailerRE = regexp.MustCompile(`trailer\s*<<\s*/Size (\d+)\s*/Root (\d+) 0 R\s*/Info (\d+) 0 R\s*>>\s*startxref\s*(\d+)\s*%%EOF\s*$`)

// PDFSigFormat begins the message a PDF's signature signs.
const PDFSigFormat = "xinyong-report-pdf/1"

// sigMarker begins the incremental update that carries the signature of
// the PDF's bytes before it.
const sigMarker = "%xinyong-pdf-signature"

// pdfSigMessage is what the PDF's signature signs: the report number and
// the SHA-256 of the file's bytes before the update.
func pdfSigMessage(no string, signed []byte) []byte {
	h := sha256.Sum256(signed)
	return []byte(PDFSigFormat + "\n" + no + "\n" + hex.EncodeToString(h[:]) + "\n")
}

// sigUpdate is the incremental update appended to a PDF of length n
// whose trailer says size, root, info and prev: one object holding the
// signature, its own cross-reference section and trailer.
func sigUpdate(n, size, root, info, prev int, keyID, no string, sig []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "\n%s\n", sigMarker)
	objOff := n + b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XinyongSignature /Filter /Xinyong.Ed25519 /Report (%s) /Key (%s) /ByteRange [0 %d] /Contents <%s> >>\nendobj\n",
		size, no, keyID, n, hex.EncodeToString(sig))
	xref := n + b.Len()
	fmt.Fprintf(&b, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		size, objOff, size+1, root, info, prev, xref)
	return b.Bytes()
}

// signPDF appends the signature of the file's bytes.
func signPDF(pdf []byte, no string, k *signing.Key) ([]byte, error) {
	m := trailerRE.FindSubmatch(pdf)
	if m == nil {
		return nil, errors.New("report: the PDF has no trailer to sign after")
	}
	size, _ := strconv.Atoi(string(m[1]))
	root, _ := strconv.Atoi(string(m[2]))
	info, _ := strconv.Atoi(string(m[3]))
	prev, _ := strconv.Atoi(string(m[4]))
	sig := k.Sign(pdfSigMessage(no, pdf))
	return append(pdf, sigUpdate(len(pdf), size, root, info, prev, k.ID, no, sig)...), nil
}

var sigObjRE = regexp.MustCompile(`^\n` + sigMarker + `\n(\d+) 0 obj\n<< /Type /XinyongSignature /Filter /Xinyong.Ed25519 /Report \(([A-Z0-9-]+)\) /Key \(([0-9a-f]+)\) /ByteRange \[0 (\d+)\] /Contents <([0-9a-f]+)> >>\nendobj\n`)

// VerifyPDF checks a report PDF's own signature (any byte of the file
// changed fails it) and returns the envelope attached to it, which Verify
// then checks. The error says what does not match.
func VerifyPDF(pdf []byte, ks *signing.KeySet) ([]byte, error) {
	i := bytes.LastIndex(pdf, []byte("\n"+sigMarker+"\n"))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, &MismatchError{[]string{"not a PDF file"}}
	}
	if i < 0 {
		return nil, &MismatchError{[]string{"the PDF carries no platform signature (it is not a report the platform issued, or its end was cut off)"}}
	}
	m := sigObjRE.FindSubmatch(pdf[i:])
	if m == nil {
		return nil, &MismatchError{[]string{"the PDF's signature block is malformed: the end of the file was changed"}}
	}
	n, _ := strconv.Atoi(string(m[4]))
	no, keyID := string(m[2]), string(m[3])
	sig, _ := hex.DecodeString(string(m[5]))
	signed := pdf[:i]
	if n != i {
		return nil, &MismatchError{[]string{fmt.Sprintf("the PDF's signature covers %d bytes, but %d precede it: bytes were added or removed", n, i)}}
	}
	tm := trailerRE.FindSubmatch(signed)
	if tm == nil {
		return nil, &MismatchError{[]string{"the signed part of the PDF has no trailer: the file was changed"}}
	}
	size, _ := strconv.Atoi(string(tm[1]))
	root, _ := strconv.Atoi(string(tm[2]))
	info, _ := strconv.Atoi(string(tm[3]))
	prev, _ := strconv.Atoi(string(tm[4]))
	if !bytes.Equal(pdf[i:], sigUpdate(n, size, root, info, prev, keyID, no, sig)) {
		return nil, &MismatchError{[]string{"the PDF's signature block was changed"}}
	}
	pub, ok := ks.Public(keyID)
	if !ok {
		return nil, &MismatchError{[]string{fmt.Sprintf("the PDF is signed with key %s, which is not among the platform's published keys (%s)", keyID, strings.Join(ks.IDs(), ", "))}}
	}
	if !ed25519.Verify(pub, pdfSigMessage(no, signed), sig) {
		return nil, &MismatchError{[]string{fmt.Sprintf("the PDF's bytes do not match the platform's signature of report %s: the file was changed after it was issued", no)}}
	}
	env, err := attachment(signed)
	if err != nil {
		return nil, &MismatchError{[]string{"the signed report inside the PDF cannot be read: " + err.Error()}}
	}
	var e Envelope
	if err := json.Unmarshal(env, &e); err == nil {
		var st Statement
		if json.Unmarshal(e.Statement, &st) == nil && st.No != no {
			return nil, &MismatchError{[]string{fmt.Sprintf("the PDF is signed as report %s, the report inside it is %s", no, st.No)}}
		}
	}
	return env, nil
}

var embeddedRE = regexp.MustCompile(`<< /Type /EmbeddedFile /Length (\d+) /Filter /FlateDecode /Params << /CheckSum <[0-9a-f]+> /Size (\d+) >> >>\s*stream\n`)

// attachment returns the first file attached to a PDF fpdf wrote.
func attachment(pdf []byte) ([]byte, error) {
	loc := embeddedRE.FindSubmatchIndex(pdf)
	if loc == nil {
		return nil, errors.New("no attached file")
	}
	n, _ := strconv.Atoi(string(pdf[loc[2]:loc[3]]))
	size, _ := strconv.Atoi(string(pdf[loc[4]:loc[5]]))
	start := loc[1]
	if start+n > len(pdf) {
		return nil, errors.New("the attached file is cut off")
	}
	zr, err := zlib.NewReader(bytes.NewReader(pdf[start : start+n]))
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(zr, int64(size)+1))
	if err != nil {
		return nil, err
	}
	if len(b) != size {
		return nil, fmt.Errorf("the attached file has %d bytes, its entry says %d", len(b), size)
	}
	return b, nil
}

// ExtractEnvelope returns the envelope attached to a report PDF without
// verifying anything.
func ExtractEnvelope(pdf []byte) ([]byte, error) { return attachment(pdf) }

// RenderPDF draws an envelope as an A4 PDF, attaches the envelope, and
// signs the file's bytes with k.
func RenderPDF(envJSON []byte, k *signing.Key) ([]byte, error) {
	var env Envelope
	if err := json.Unmarshal(envJSON, &env); err != nil {
		return nil, err
	}
	var body Body
	if err := json.Unmarshal(env.Report, &body); err != nil {
		return nil, err
	}
	var st Statement
	if err := json.Unmarshal(env.Statement, &st); err != nil {
		return nil, err
	}
	issued, _ := time.Parse(time.RFC3339, body.IssuedAt)
	until, _ := time.Parse(time.RFC3339, body.ValidUntil)
	p := fpdf.New("P", "mm", "A4", "")
	d := &doc{p: p}
	p.SetCreationDate(issued)
	p.SetModificationDate(issued)
	p.SetTitle(body.KindName+" "+body.No, true)
	p.SetAuthor(body.Issuer.Name, true)
	p.SetSubject(body.Subject.Name, true)
	p.SetCreator("Xinyong", false)
	p.SetProducer("Xinyong (go-pdf/fpdf)", false)
	p.SetMargins(margin, top, margin)
	p.SetAutoPageBreak(false, 0)
	p.AddUTF8FontFromBytes("cjk", "", cjkFont)
	p.AliasNbPages("{nb}")
	p.SetAttachments([]fpdf.Attachment{{Content: envJSON, Filename: "report-" + body.No + ".json",
		Description: "signed credit report (verify with: xinyong report verify)"}})
	png, err := qrcode.Encode(body.VerifyURL, qrcode.Medium, 256)
	if err != nil {
		return nil, err
	}
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))

	watermark := "仅供" + body.Purpose.Name + "使用"
	if body.Recipient != "" {
		watermark = "仅供" + body.Recipient + body.Purpose.Name + "使用"
	}
	p.SetHeaderFunc(func() {
		// The watermark first, under everything the page draws.
		p.SetAlpha(0.13, "Normal")
		p.SetTextColor(120, 120, 120)
		d.font(30)
		p.TransformBegin()
		p.TransformRotate(35, pageW/2, pageH/2)
		for _, dy := range []float64{-70, 0, 70} {
			w := p.GetStringWidth(watermark)
			p.Text(pageW/2-w/2, pageH/2+dy, watermark)
		}
		p.TransformEnd()
		p.SetAlpha(1, "Normal")
		p.SetTextColor(90, 90, 90)
		d.font(8.5)
		p.SetXY(margin, 9)
		p.CellFormat(contentW/2, 5, body.Issuer.Name, "", 0, "L", false, 0, "")
		p.CellFormat(contentW/2, 5, "报告编号："+body.No, "", 1, "R", false, 0, "")
		p.SetDrawColor(160, 170, 190)
		p.Line(margin, 15.5, pageW-margin, 15.5)
		p.SetDrawColor(0, 0, 0)
		p.SetTextColor(0, 0, 0)
	})
	p.SetFooterFunc(func() {
		p.SetTextColor(90, 90, 90)
		d.font(8)
		p.SetXY(margin, pageH-13)
		p.CellFormat(contentW*0.7, 5, "扫描二维码或在平台“报告核验”输入报告编号，可核验本报告的真伪与状态。", "", 0, "L", false, 0, "")
		p.CellFormat(contentW*0.3, 5, fmt.Sprintf("第 %d 页，共 {nb} 页", p.PageNo()), "", 0, "R", false, 0, "")
		p.SetTextColor(0, 0, 0)
	})
	p.AddPage()

	// Title and the report's identity, with the QR code beside it.
	p.SetY(top)
	d.font(18)
	p.CellFormat(contentW, 11, body.KindName, "", 1, "C", false, 0, "")
	d.font(9)
	p.SetTextColor(80, 80, 80)
	p.CellFormat(contentW, 5, body.KindNameEn, "", 1, "C", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.Ln(4)
	y := p.GetY()
	p.ImageOptions("qr", pageW-margin-32, y, 32, 32, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	meta := []Field{
		{Label: "报告编号", Value: body.No},
		{Label: "出具机构", Value: body.Issuer.Name},
		{Label: "出具时间", Value: issued.In(chinatime.Location).Format("2006年01月02日 15:04")},
		{Label: "有效期至", Value: until.In(chinatime.Location).Format("2006年01月02日 15:04")},
		{Label: "查询用途", Value: body.Purpose.Name},
	}
	if body.Recipient != "" {
		meta = append(meta, Field{Label: "授权查询机构", Value: body.Recipient})
	}
	if body.GrantID != "" {
		meta = append(meta, Field{Label: "授权编号", Value: body.GrantID})
	}
	if body.Period != nil {
		meta = append(meta, Field{Label: "查询期", Value: body.Period.From + " 至 " + body.Period.To})
	}
	d.font(9.5)
	for _, f := range meta {
		p.SetX(margin)
		p.CellFormat(28, 5.6, f.Label+"：", "", 0, "L", false, 0, "")
		p.CellFormat(contentW-28-36, 5.6, f.Value, "", 1, "L", false, 0, "")
	}
	p.SetY(max(p.GetY(), y+34))

	d.heading("信用主体基本信息")
	code := "统一社会信用代码"
	if body.Subject.Kind == "person" {
		code = "身份证件号码"
	}
	subj := []Field{{Label: "主体名称", Value: body.Subject.Name}, {Label: code, Value: body.Subject.Code}, {Label: "主体类别", Value: body.Subject.KindName}}
	for _, f := range []Field{{Label: "法定代表人（负责人）", Value: body.Subject.LegalRep}, {Label: "登记状态", Value: body.Subject.Status},
		{Label: "成立（登记）日期", Value: body.Subject.RegisteredOn}, {Label: "登记地", Value: body.Subject.Region}} {
		if f.Value != "" {
			subj = append(subj, f)
		}
	}
	d.rows(subj, 42)

	numbers := []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六"}
	num := func(i int) string {
		if i < len(numbers) {
			return numbers[i] + "、"
		}
		return strconv.Itoa(i+1) + "、"
	}
	switch body.Layout {
	case "file":
		for i, sec := range body.Sections {
			d.heading(num(i) + sec.Name)
			if len(sec.Entries) == 0 {
				d.text("查询期内无相关信息。", 9.5, 6)
				continue
			}
			for j, e := range sec.Entries {
				d.entry(j+1, e)
			}
		}
	case "special":
		for i, dom := range body.Domains {
			d.heading(num(i) + dom.Name + "领域")
			var deps []string
			for _, dep := range dom.Departments {
				deps = append(deps, dep.Name)
			}
			if len(deps) == 0 {
				deps = []string{"（无）"}
			}
			d.text("数据来源部门："+strings.Join(deps, "、"), 9, 5.2)
			p.Ln(1)
			d.text("结论："+dom.Statement, 10.5, 6.5)
			for j, e := range dom.Entries {
				d.entry(j+1, e)
			}
		}
	case "indicators":
		d.heading("信用指标")
		var rs []Field
		for _, in := range body.Indicators {
			v := in.Value
			for _, r := range in.Rows {
				if r.Value != "0" {
					v += "\n" + r.Label + "：" + r.Value
				}
			}
			rs = append(rs, Field{Label: in.Name, Value: v})
		}
		d.rows(rs, 62)
		d.heading("指标定义")
		for _, in := range body.Indicators {
			d.text(in.Name+"："+in.Definition, 8.5, 4.8)
		}
	}

	d.heading("说明")
	for i, n := range body.Notes {
		d.text(fmt.Sprintf("%d. %s", i+1, n.Zh), 9, 5.2)
	}
	if len(body.Basis) > 0 {
		d.text("依据："+strings.Join(body.Basis, "；"), 8.5, 4.8)
	}
	d.heading("核验信息")
	ver := []Field{
		{Label: "内容摘要（SHA-256）", Value: strings.TrimPrefix(st.Digest, "sha256:")},
		{Label: "签名密钥", Value: st.KeyID + "（Ed25519，公钥见平台 /.well-known/xinyong-keys.json）"},
		{Label: "存证日志", Value: body.LogOrigin},
		{Label: "核验地址", Value: body.VerifyURL},
	}
	if env.Log != nil {
		ver = append(ver, Field{Label: "日志位置", Value: fmt.Sprintf("第 %d 条（检查点规模 %d）", env.Log.Index, env.Log.TreeSize)})
	}
	d.rows(ver, 42)
	d.text("本报告的完整内容与签名以附件 JSON 随本文件提供，可离线执行 xinyong report verify 核验。", 8.5, 4.8)

	var out bytes.Buffer
	if err := p.Output(&out); err != nil {
		return nil, err
	}
	return signPDF(out.Bytes(), body.No, k)
}
