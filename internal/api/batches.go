package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/ingest"
)

// DefaultMaxUpload bounds one uploaded batch file when Config.MaxUpload is
// 0: 200 MiB, some two million rows of 双公示 data. Larger files are
// split, or imported on the server with `xinyong import`.
const DefaultMaxUpload = 200 << 20

// maxUpload is the configured bound on an uploaded file.
func (a *API) maxUpload() int64 {
	if a.cfg.MaxUpload > 0 {
		return a.cfg.MaxUpload
	}
	return DefaultMaxUpload
}

// FormatSize renders a byte count for people: "200 MiB", "1 GiB", "64 KiB".
func FormatSize(n int64) string {
	unit := func(shift uint, name string) string {
		if n%(1<<shift) == 0 {
			return strconv.FormatInt(n>>shift, 10) + " " + name
		}
		return strconv.FormatFloat(float64(n)/float64(int64(1)<<shift), 'f', 1, 64) + " " + name
	}
	switch {
	case n >= 1<<30:
		return unit(30, "GiB")
	case n >= 1<<20:
		return unit(20, "MiB")
	case n >= 1<<10:
		return unit(10, "KiB")
	}
	return strconv.FormatInt(n, 10) + " B"
}

// uploadError is what a client is told when an upload could not be read:
// the limit it crossed, or that it stalled or broke off, and never the
// read error itself, whose text names sockets and addresses.
func uploadError(op string, err error, limit int64, parsing bool) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return refuse(op, credit.TooLarge,
			"文件超过上传上限 "+FormatSize(limit)+"。请拆分为多个文件分别上传",
			"the file is larger than the upload limit of "+FormatSize(limit)+"; split it into several files")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return refuse(op, credit.Invalid,
			"上传中断：长时间未收到数据。请检查网络后重新上传整个文件，本次上传的内容均未入库",
			"the upload stalled: no data arrived for too long; send the whole file again (nothing of this upload was imported)")
	case parsing:
		return refuse(op, credit.Invalid,
			"多部分表单（multipart/form-data）格式不正确，或在传完前中断",
			"the multipart/form-data body is malformed or was cut off")
	}
	return refuse(op, credit.Invalid,
		"上传未完成：连接在文件传完前中断。请重新上传整个文件，本次上传的内容均未入库",
		"the upload did not complete: the connection broke before the end of the file; send the whole file again (nothing of this upload was imported)")
}

// SpoolPrefix begins the name of every spooled upload in Config.SpoolDir.
const SpoolPrefix = "xinyong-upload-"

// fileBody is a handler result sent as a file download instead of JSON.
type fileBody struct {
	contentType, name string
	data              []byte
	// notKept is the batch's rejected rows missing from a rejects file
	// (past the cap on stored rejects), said in X-Rejected-Not-Kept.
	notKept int
}

func (f fileBody) writeTo(w http.ResponseWriter, status int) {
	h := w.Header()
	if f.notKept > 0 {
		h.Set("X-Rejected-Not-Kept", strconv.Itoa(f.notKept))
	}
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	w.WriteHeader(status)
	_, _ = w.Write(f.data)
}

func (a *API) importer() *ingest.Importer {
	return &ingest.Importer{Store: a.cfg.Store, Records: a.cfg.Records, Logger: a.log, MaxRejectRows: a.cfg.MaxRejectRows}
}

// createBatch accepts a department file: the raw body (Content-Type
// text/csv, application/x-ndjson or the XLSX type; ?file_name= names it)
// or a multipart form with a "file" part. It answers 202 with the batch as
// soon as the file is stored and its header checked; the rows are imported
// in the background and the batch's status and counts, kept in the
// database, are polled with GET /batches/{id}. Resending the same file
// resumes an interrupted import or, if it finished, changes nothing.
func (a *API) createBatch(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	const op = "api.createBatch"
	q := r.URL.Query()
	dept, err := reportingDept(c.P, q.Get("dept"))
	if err != nil {
		return 0, nil, err
	}
	item := strings.TrimSpace(q.Get("item"))
	if item == "" {
		return 0, nil, credit.Say(op, credit.Invalid, "请在 ?item= 中指明信息项（如 admin_penalty）", "state the catalogue item in ?item= (e.g. admin_penalty)")
	}
	name := filepath.Base(strings.TrimSpace(q.Get("file_name")))
	format := strings.TrimSpace(q.Get("format"))
	limit := a.maxUpload()
	// On r.Body itself, which r.MultipartReader reads too.
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	body := io.Reader(r.Body)
	refused := func(err error, parsing bool) (int, any, error) {
		a.log.Info("upload not read", "id", httpx.IDFrom(r.Context()), "err", err)
		return 0, nil, uploadError(op, err, limit, parsing)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return refused(err, true)
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return 0, nil, credit.Say(op, credit.Invalid, "表单中没有“file”部分", "the multipart form has no \"file\" part")
			}
			if err != nil {
				return refused(err, true)
			}
			if p.FormName() == "file" {
				if p.FileName() != "" && (name == "" || name == ".") {
					name = filepath.Base(p.FileName())
				}
				body = p
				break
			}
		}
	}
	if format == "" {
		switch ct {
		case "text/csv":
			format = ingest.FormatCSV
		case "application/x-ndjson", "application/jsonl", "application/x-jsonlines":
			format = ingest.FormatJSONL
		case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			format = ingest.FormatXLSX
		}
	}
	if name == "" || name == "." {
		name = "upload." + format
	}
	// The file holds the department's rows as sent, ID numbers included:
	// CreateTemp makes it 0600, in the node's spool directory.
	tmp, err := os.CreateTemp(a.cfg.SpoolDir, SpoolPrefix+"*")
	if err != nil {
		return 0, nil, credit.Wrap(op, credit.Internal, err)
	}
	path := tmp.Name()
	size, err := io.Copy(tmp, body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return refused(err, false)
	}
	im := a.importer()
	j, err := im.Prepare(r.Context(), ingest.Request{Dept: dept, Item: item, FileName: name, Format: format,
		Actor: c.P.Name(), Size: size,
		Open: func() (io.ReadCloser, error) { return os.Open(path) }})
	if err != nil {
		os.Remove(path)
		if j != nil && j.Batch != nil {
			c.Target = j.Batch.ID
		}
		return 0, nil, err
	}
	c.Target = j.Batch.ID
	if j.Done {
		os.Remove(path)
		return http.StatusOK, j.Batch, nil
	}
	// The import outlives the request; its state is in the database, so
	// any node answers the polls, and a node that dies leaves a running
	// batch, reported as interrupted once its heartbeat is old, that
	// resending the file resumes.
	go func() {
		defer os.Remove(path)
		if err := j.Run(context.WithoutCancel(r.Context())); err != nil {
			a.log.Error("batch import failed", "batch", j.Batch.ID, "err", err)
		}
	}()
	return http.StatusAccepted, j.Batch, nil
}

// ownBatch loads a batch the caller may see: a department sees its own.
func (a *API) ownBatch(r *http.Request, c *Call) (*credit.Batch, error) {
	id := r.PathValue("id")
	b, err := a.cfg.Store.Batch(r.Context(), id)
	if err != nil {
		return nil, err
	}
	c.Target = b.ID
	if c.P.Role == credit.RoleDept && b.Dept != c.P.Account.Dept {
		// Not found rather than forbidden: another department's batch IDs
		// are none of its business.
		return nil, credit.Say("api.batch", credit.NotFound, "批次“%s”不存在", "batch %q not found", id)
	}
	return b, nil
}

func (a *API) getBatch(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	b, err := a.ownBatch(r, c)
	if err != nil {
		return 0, nil, err
	}
	b.Interrupted = b.Stalled(a.cfg.Now())
	return http.StatusOK, b, nil
}

// batchRejects sends the rejected rows in the department's own format,
// encoding and headers plus a 错误原因 column, ready to fix and resend.
func (a *API) batchRejects(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	b, err := a.ownBatch(r, c)
	if err != nil {
		return 0, nil, err
	}
	rs, err := a.cfg.Store.Rejects(r.Context(), b.ID)
	if err != nil {
		return 0, nil, err
	}
	// The department reads its own rows back, opened.
	if err := ingest.OpenRejects(a.cfg.Sealer, rs); err != nil {
		return 0, nil, err
	}
	var m *ingest.Mapping
	if it, err := a.cfg.Catalog.Item(b.Item); err == nil {
		m, _ = ingest.MapHeader(it, b.Header)
	}
	var buf bytes.Buffer
	if err := ingest.WriteRejects(&buf, b, m, rs); err != nil {
		return 0, nil, credit.Wrap("api.batchRejects", credit.Internal, err)
	}
	ct := "text/csv; charset=utf-8"
	switch b.Format {
	case ingest.FormatXLSX:
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ingest.FormatJSONL:
		ct = "application/x-ndjson; charset=utf-8"
	default:
		if b.Encoding == ingest.EncGB18030 {
			ct = "text/csv; charset=gb18030"
		}
	}
	return http.StatusOK, fileBody{contentType: ct, name: ingest.RejectsFileName(b), data: buf.Bytes(), notKept: b.Counts.RejectedNotKept}, nil
}

// listBatches lists batches, newest first; a department sees its own.
func (a *API) listBatches(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	f := credit.BatchFilter{Dept: r.URL.Query().Get("dept"), Limit: 100}
	if c.P.Role == credit.RoleDept {
		f.Dept = c.P.Account.Dept
	}
	bs, err := a.cfg.Store.Batches(r.Context(), f)
	if err != nil {
		return 0, nil, err
	}
	if bs == nil {
		bs = []credit.Batch{}
	}
	now := a.cfg.Now()
	for i := range bs {
		bs[i].Interrupted = bs[i].Stalled(now)
	}
	return http.StatusOK, map[string]any{"batches": bs}, nil
}

// quality answers the data-quality figures per department; a department
// sees its own.
func (a *API) quality(w http.ResponseWriter, r *http.Request, c *Call) (int, any, error) {
	qs, err := a.cfg.Store.Quality(r.Context())
	if err != nil {
		return 0, nil, err
	}
	out := []ingest.Quality{}
	for _, q := range qs {
		if c.P.Role == credit.RoleDept && q.Dept != c.P.Account.Dept {
			continue
		}
		out = append(out, ingest.QualityOf(q))
	}
	return http.StatusOK, map[string]any{"departments": out}, nil
}
