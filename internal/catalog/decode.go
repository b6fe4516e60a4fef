package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// errList collects load errors. Each is one line that starts with
// "catalog: <file>:" so an administrator can fix every mistake of a file in
// one pass instead of one per restart.
type errList struct{ errs []error }

func (l *errList) add(file, format string, args ...any) {
	l.errs = append(l.errs, fmt.Errorf("catalog: %s: %s", file, fmt.Sprintf(format, args...)))
}

// rawElem is one element of a top-level array with its byte offset in the
// file, so that errors inside it can be given a line and column.
type rawElem struct {
	data json.RawMessage
	off  int64
}

// rawFile is a catalogue file split into its top-level members.
type rawFile struct {
	name    string
	data    []byte
	scalars map[string]json.RawMessage
	arrays  map[string][]rawElem
}

// pos formats a byte offset as "name:line:col" (1-based; column counted in
// characters because the files are mostly Chinese).
func (f *rawFile) pos(off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(f.data)) {
		off = int64(len(f.data))
	}
	line, col := 1, 1
	for _, r := range string(f.data[:off]) {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("%s:%d:%d", f.name, line, col)
}

// syntaxErr reports a JSON syntax error with its position: the decoder
// gives the offset just after the offending byte.
func (f *rawFile) syntaxErr(l *errList, err error, base int64) {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := base + se.Offset - 1
		if strings.HasPrefix(se.Error(), "unexpected end") {
			off = int64(len(f.data)) // point past the end, where input is missing
		}
		l.errs = append(l.errs, fmt.Errorf("catalog: %s: %s", f.pos(off), se.Error()))
		return
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		l.errs = append(l.errs, fmt.Errorf("catalog: %s: unexpected end of JSON input", f.pos(int64(len(f.data)))))
		return
	}
	l.add(f.name, "%v", err)
}

// parseFile splits a file into its top-level members: arrays (whose
// elements are decoded one by one later) and other values. It accepts
// exactly one JSON object. It returns nil after reporting a syntax error.
func parseFile(name string, data []byte, arrayKeys, scalarKeys []string, l *errList) *rawFile {
	f := &rawFile{name: name, data: data, scalars: map[string]json.RawMessage{}, arrays: map[string][]rawElem{}}
	// Check the syntax of the whole file first: json.Unmarshal reports
	// offsets from the start of the input, the streaming decoder used below
	// does not.
	var whole json.RawMessage
	if err := json.Unmarshal(data, &whole); err != nil {
		f.syntaxErr(l, err, 0)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		f.syntaxErr(l, err, 0)
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		l.errs = append(l.errs, fmt.Errorf("catalog: %s: the file must hold one JSON object", f.pos(skipSep(data, 0))))
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		keyOff := skipSep(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			f.syntaxErr(l, err, 0)
			return nil
		}
		key, _ := tok.(string)
		valOff := skipSep(data, dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			f.syntaxErr(l, err, valOff)
			return nil
		}
		switch {
		case seen[key]:
			l.errs = append(l.errs, fmt.Errorf("catalog: %s: duplicate field %q", f.pos(keyOff), key))
		case contains(arrayKeys, key):
			elems, err := arrayElems(raw, valOff)
			if err != nil {
				l.errs = append(l.errs, fmt.Errorf("catalog: %s: %q must be an array", f.pos(valOff), key))
				continue
			}
			f.arrays[key] = elems
		case contains(scalarKeys, key):
			f.scalars[key] = raw
		default:
			l.errs = append(l.errs, fmt.Errorf("catalog: %s: unknown field %q", f.pos(keyOff), key))
		}
		seen[key] = true
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		f.syntaxErr(l, err, 0)
		return nil
	}
	end := skipSep(data, dec.InputOffset())
	if _, err := dec.Token(); err != io.EOF {
		l.errs = append(l.errs, fmt.Errorf("catalog: %s: data after the top-level object", f.pos(end)))
		return nil
	}
	for _, k := range arrayKeys {
		if _, ok := f.arrays[k]; !ok && !seen[k] {
			l.add(name, "missing %q", k)
		}
	}
	return f
}

// arrayElems splits a JSON array (already known to be valid JSON) into its
// elements with their offsets in the file.
func arrayElems(raw []byte, base int64) ([]rawElem, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, errors.New("not an array")
	}
	elems := []rawElem{}
	for dec.More() {
		off := skipSep(raw, dec.InputOffset())
		var e json.RawMessage
		if err := dec.Decode(&e); err != nil {
			return nil, err
		}
		elems = append(elems, rawElem{data: e, off: base + off})
	}
	return elems, nil
}

// skipSep moves past whitespace and the separators the decoder leaves
// unread before a value (, and :).
func skipSep(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// scalar decodes a top-level non-array member strictly.
func (f *rawFile) scalar(key string, v any, l *errList) {
	raw, ok := f.scalars[key]
	if !ok {
		return
	}
	if err := json.Unmarshal(raw, v); err != nil {
		l.add(f.name, "%q: %v", key, err)
	}
}

// strictScalar decodes a top-level object member, rejecting unknown
// fields (a misspelt key is an error, as in the arrays' elements).
func (f *rawFile) strictScalar(key string, v any, l *errList) {
	raw, ok := f.scalars[key]
	if !ok {
		l.add(f.name, "missing %q", key)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		l.add(f.name, "%q: %v", key, err)
	}
}

var unknownFieldRE = regexp.MustCompile(`unknown field "([^"]*)"`)

// decodeElems decodes each element of a top-level array into a T,
// rejecting unknown fields. what names the element kind in messages
// ("item", "list"...). Elements that fail to decode are reported and left
// out, so the remaining ones can still be checked.
func decodeElems[T any](f *rawFile, key, what string, l *errList) []*T {
	var out []*T
	for i, e := range f.arrays[key] {
		v := new(T)
		dec := json.NewDecoder(bytes.NewReader(e.data))
		dec.DisallowUnknownFields()
		err := dec.Decode(v)
		if err == nil {
			out = append(out, v)
			continue
		}
		name := elemName(what, i, e.data)
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				field = "(element)"
			}
			l.errs = append(l.errs, fmt.Errorf("catalog: %s: %s: %q: expected %s, got %s",
				f.pos(e.off+valueStart(e.data, te.Offset)), name, field, jsonKind(te.Type.Kind().String()), te.Value))
		case unknownFieldRE.MatchString(err.Error()):
			fld := unknownFieldRE.FindStringSubmatch(err.Error())[1]
			off := e.off
			if loc := regexp.MustCompile(`"` + regexp.QuoteMeta(fld) + `"\s*:`).FindIndex(e.data); loc != nil {
				off += int64(loc[0])
			}
			l.errs = append(l.errs, fmt.Errorf("catalog: %s: %s: unknown field %q", f.pos(off), name, fld))
		default:
			l.errs = append(l.errs, fmt.Errorf("catalog: %s: %s: %v", f.pos(e.off), name, err))
		}
	}
	return out
}

// valueStart finds the start of the scalar value that ends at end, for a
// type error (the decoder reports where the value ends).
func valueStart(data []byte, end int64) int64 {
	if end <= 0 || end > int64(len(data)) {
		return 0
	}
	i := end - 1
	if data[i] == '"' {
		for i--; i >= 0; i-- {
			if data[i] == '"' && (i == 0 || data[i-1] != '\\') {
				return i
			}
		}
		return 0
	}
	for i > 0 && !strings.ContainsRune(" \t\r\n:,[{", rune(data[i-1])) {
		i--
	}
	return i
}

// elemName names an element by its code when it has one, else by position.
func elemName(what string, i int, data []byte) string {
	var c struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(data, &c) == nil && c.Code != "" && utf8.ValidString(c.Code) {
		return fmt.Sprintf("%s %q", what, c.Code)
	}
	return fmt.Sprintf("%s #%d", what, i+1)
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "true or false"
	}
	return k
}
