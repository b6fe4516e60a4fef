package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
)

// allowedTypes are the evidence formats accepted: documents and scans.
var allowedTypes = map[string]bool{
	"application/pdf": true,
	"image/jpeg":      true,
	"image/png":       true,
}

// AddFile attaches an evidence or material file to an open case. The
// content type is sniffed from the bytes (a declared type that disagrees is
// refused), the size is bounded, and the sha256 is kept.
func (s *Service) AddFile(ctx context.Context, a Actor, caseID, name, declared string, body []byte) (*credit.CaseFile, error) {
	const op = "workflow.AddFile"
	c, err := s.cfg.Store.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !c.Open {
		return nil, credit.Say(op, credit.Conflict, "事项%[1]s已办结（%[3]s），不能再上传材料", "case %[1]s is closed (%[2]s): no more files", caseID, c.State, stateZh(c.State))
	}
	sniffed, err := CheckFile(name, declared, body, s.rules.MaxFileBytes)
	if err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	files, err := s.cfg.Store.CaseFiles(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if len(files) >= s.rules.MaxFiles {
		return nil, credit.Say(op, credit.Invalid, "事项%s已有%d个文件，已达上限", "case %s already has %d files, the most allowed", caseID, len(files))
	}
	name = FileName(name)
	sum := sha256.Sum256(body)
	f := &credit.CaseFile{CaseID: caseID, Name: name, ContentType: sniffed, SHA256: hex.EncodeToString(sum[:]), Body: body, UploadedBy: a.Name}
	if err := s.cfg.Store.PutCaseFile(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// File returns one file of a case with its body.
func (s *Service) File(ctx context.Context, caseID, fileID string) (*credit.CaseFile, error) {
	f, err := s.cfg.Store.CaseFile(ctx, fileID)
	if err != nil {
		return nil, err
	}
	if f.CaseID != caseID {
		return nil, credit.Say("workflow.File", credit.NotFound, "文件%s不属于事项%s", "file %s is not part of case %s", fileID, caseID)
	}
	return f, nil
}

// CheckFile checks an evidence or material file: not empty, at most max
// bytes, and a PDF, JPEG or PNG by its content (a declared type that
// disagrees is refused). It returns the type sniffed. It is the one rule
// of what a file attached to a case, a commitment or a declaration may
// be.
func CheckFile(name, declared string, body []byte, max int64) (string, error) {
	const op = "workflow.CheckFile"
	if len(body) == 0 {
		return "", credit.Say(op, credit.Invalid, "文件“%s”是空文件", "the file %q is empty", name)
	}
	if int64(len(body)) > max {
		return "", credit.Say(op, credit.Invalid, "文件“%[1]s”大小为%[2]d字节，超过单个文件%[3]d MiB的上限", "the file %[1]q has %[2]d bytes; the limit is %[3]d MiB", name, len(body), max>>20)
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(body))
	if !allowedTypes[sniffed] {
		return "", credit.Say(op, credit.Invalid, "文件“%[1]s”的格式为%[2]s，请上传PDF、JPEG或PNG格式的文件", "the file %[1]q is %[2]s; send PDF, JPEG or PNG", name, sniffed)
	}
	if declared != "" {
		if d, _, err := mime.ParseMediaType(declared); err == nil && d != "application/octet-stream" && d != sniffed {
			return "", credit.Say(op, credit.Invalid, "文件“%[1]s”标明的类型为%[2]s，但实际内容为%[3]s", "the file %[1]q says it is %[2]s but its content is %[3]s", name, d, sniffed)
		}
	}
	return sniffed, nil
}

// FileName is the name a file is kept under: its base name, valid text,
// at most 120 characters.
func FileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if !utf8.ValidString(name) || name == "." || name == "/" {
		name = "file"
	}
	return clip(name, 120)
}
