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
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
)

// maxUpload bounds one uploaded batch file.
const maxUpload = 1 << 30

// SpoolPrefix begins the name of every spooled upload in Config.SpoolDir.
const SpoolPrefix = "xinyong-upload-"

// fileBody is a handler result sent as a file download instead of JSON.
type fileBody struct {
	contentType, name string
	data              []byte
}

func (f fileBody) writeTo(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	w.WriteHeader(status)
	_, _ = w.Write(f.data)
}

func (a *API) importer() *ingest.Importer {
	return &ingest.Importer{Store: a.cfg.Store, Records: a.cfg.Records, Logger: a.log}
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
		return 0, nil, credit.E(op, credit.Invalid, "state the catalogue item in ?item= (e.g. admin_penalty)")
	}
	name := filepath.Base(strings.TrimSpace(q.Get("file_name")))
	format := strings.TrimSpace(q.Get("format"))
	body := io.Reader(http.MaxBytesReader(w, r.Body, maxUpload))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return 0, nil, credit.E(op, credit.Invalid, "bad multipart body: %v", err)
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return 0, nil, credit.E(op, credit.Invalid, "the multipart form has no \"file\" part")
			}
			if err != nil {
				return 0, nil, credit.E(op, credit.Invalid, "bad multipart body: %v", err)
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
		return 0, nil, credit.E(op, credit.Invalid, "upload: %v", err)
	}
	im := a.importer()
	j, err := im.Prepare(r.Context(), ingest.Request{Dept: dept, Item: item, FileName: name, Format: format,
		Domain: q.Get("domain"), Actor: c.P.Name(), Size: size,
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
		return nil, credit.E("api.batch", credit.NotFound, "batch %q not found", id)
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
	return http.StatusOK, fileBody{contentType: ct, name: ingest.RejectsFileName(b), data: buf.Bytes()}, nil
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
