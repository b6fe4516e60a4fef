package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/httpx"
	"github.com/xinyong/xinyong/internal/pii"
)

// errorBody is the JSON shape of every error: {"error":{"kind","message"}}.
// kind is credit.Kind's stable name, so clients branch on it, not on text.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// MessageZh is the message in Chinese, where the platform has one
	// (refusals a person at a department desk is likely to read).
	MessageZh string `json:"message_zh,omitempty"`
	// Details are structured facts a refusal carries (an eligibility
	// answer with every reason), where it has them.
	Details any `json:"details,omitempty"`
}

// detailed is an error with details for the client.
type detailed struct {
	error
	details any
}

func (d detailed) Unwrap() error { return d.error }
func (d detailed) Details() any  { return d.details }

// withDetails attaches details to a refusal, sent as error.details.
func withDetails(err error, details any) error { return detailed{err, details} }

// refuse builds an error whose message a user reads in either language.
func refuse(op string, kind credit.Kind, zh, en string) error {
	return &credit.Error{Op: op, Kind: kind, Err: &credit.Text{Zh: zh, En: en}}
}

// StatusOf maps an error kind to its HTTP status.
func StatusOf(k credit.Kind) int {
	switch k {
	case credit.Invalid:
		return http.StatusBadRequest
	case credit.NotFound:
		return http.StatusNotFound
	case credit.Exists, credit.Conflict:
		return http.StatusConflict
	case credit.Permission:
		return http.StatusForbidden
	case credit.Unauthenticated:
		return http.StatusUnauthorized
	case credit.Unavailable:
		return http.StatusServiceUnavailable
	case credit.RateLimited:
		return http.StatusTooManyRequests
	case credit.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// message is the text a client may see: the innermost message of the
// credit.Error chain, without the "op: op: " prefixes that only help
// whoever reads the server log.
func message(err error) string {
	for {
		var e *credit.Error
		if !errors.As(err, &e) {
			return err.Error()
		}
		if e.Err == nil {
			return e.Kind.String()
		}
		var inner *credit.Error
		if !errors.As(e.Err, &inner) {
			return e.Err.Error()
		}
		err = e.Err
	}
}

// RetryAfter is how long an error says to wait before trying again (a
// refused login, say), or 0.
func RetryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return max(ra.RetryAfter(), time.Second)
	}
	return 0
}

// writeError sends err as JSON. Internal failures and unreachable
// dependencies are logged in full and answered with only the request ID:
// their text can name tables, files or hosts.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	kind := credit.KindOf(err)
	status := StatusOf(kind)
	msg, msgZh := pii.RedactIDs(message(err)), pii.RedactIDs(credit.Chinese(err))
	if status >= 500 {
		msgZh = ""
		id := httpx.IDFrom(r.Context())
		logger.Error("api request failed", "id", id, "method", r.Method, "path", pii.RedactIDs(r.URL.Path),
			"kind", kind.String(), "err", pii.RedactIDs(err.Error()))
		if kind == credit.Unavailable {
			msg = "the service is temporarily unavailable (request " + id + ")"
		} else {
			kind = credit.Internal
			msg = "internal error (request " + id + ")"
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="xinyong"`)
	}
	if ra := RetryAfter(err); ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
	}
	var details any
	if d := (interface{ Details() any })(nil); status < 500 && errors.As(err, &d) {
		details = d.Details()
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Kind: kind.String(), Message: msg, MessageZh: msgZh, Details: details}})
}

// writeJSON sends v as JSON. API responses are never cached: most carry
// data scoped to the caller.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if f, ok := v.(fileBody); ok { // a download (rejects file), not JSON
		f.writeTo(w, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusNoContent || v == nil {
		w.WriteHeader(status)
		return
	}
	// Encoded whole first (json.Encoder does so anyway), so that the
	// answer goes with its Content-Length in one write instead of in
	// chunked transfer encoding.
	buf := jsonBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			jsonBufs.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	if c, ok := v.(compact); ok {
		v = c.v // bulk answers go unindented
	} else {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		// As before: the status goes, the body is what could be encoded
		// (nothing).
		buf.Reset()
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// jsonBufs holds the buffers answers are encoded into.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// textError refuses a JSON body that is not Unicode text (jsonText).
func textError(op string, bt *badText) error {
	if bt.surrogate {
		return refuse(op, credit.Invalid,
			fmt.Sprintf("请求正文第 %d 字节附近的 \\u 转义只有半个 UTF-16 代理对，不是字符。请检查数据的编码", bt.off),
			bt.Error()+"; check how the data was encoded")
	}
	return refuse(op, credit.Invalid,
		fmt.Sprintf("请求正文第 %d 字节不是有效的 UTF-8 编码。JSON 正文须为 UTF-8；GBK 等编码的数据请先转换", bt.off),
		bt.Error()+"; JSON must be sent in UTF-8: convert GBK or other encodings first")
}

// decodeErrorZh says in Chinese what the JSON decoder found wrong (its own
// message is English): a field of the wrong type, an unknown field, a
// syntax error at an offset; anything else keeps the decoder's words.
func decodeErrorZh(err error, en string) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		return fmt.Sprintf("字段“%s”的值类型不对：给的是%s，应为%s", typ.Field, jsonKindZh[typ.Value], goKindZh(typ.Type))
	case errors.As(err, &syn):
		return fmt.Sprintf("第 %d 字节处语法错误", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "正文不完整或为空"
	case strings.HasPrefix(en, "unknown field "):
		return "未知字段 " + strings.TrimPrefix(en, "unknown field ")
	}
	return en
}

// jsonKindZh names the JSON value kinds the decoder reports.
var jsonKindZh = map[string]string{"object": "对象", "array": "数组", "string": "字符串", "number": "数字", "bool": "布尔值", "null": "空值"}

// goKindZh names, as a JSON kind in Chinese, what a Go type decodes from.
func goKindZh(t reflect.Type) string {
	if t == nil {
		return "其他类型"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "数组"
	case reflect.Struct, reflect.Map:
		return "对象"
	case reflect.String:
		return "字符串"
	case reflect.Bool:
		return "布尔值"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "数字"
	case reflect.Pointer:
		return goKindZh(t.Elem())
	}
	return "其他类型"
}

// maxBody bounds a JSON request body. Bulk reports go through the import
// path, not through one request.
const maxBody = 1 << 20

// decode reads a JSON body into v. It insists on application/json: a
// cross-site HTML form cannot send that content type without a CORS
// preflight, which is what keeps cookie-authenticated POSTs safe from CSRF.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	const op = "api.decode"
	mt, err := mediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return credit.Say(op, credit.Invalid, "请求正文须为 application/json", "send the request body as application/json")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return credit.Say(op, credit.TooLarge, "请求正文超过%d字节", "the request body is larger than %d bytes", maxBody)
		}
		if bt := (*badText)(nil); errors.As(err, &bt) {
			return textError(op, bt)
		}
		en := strings.TrimPrefix(err.Error(), "json: ")
		return credit.Say(op, credit.Invalid, "JSON正文格式错误：%[1]s", "malformed JSON body: %[2]s", decodeErrorZh(err, en), en)
	}
	if dec.More() {
		return credit.Say(op, credit.Invalid, "JSON正文格式错误：含有不止一个值", "malformed JSON body: more than one value")
	}
	return nil
}
