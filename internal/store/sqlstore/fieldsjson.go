package sqlstore

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
)

// appendFieldsJSON encodes fields exactly as jsonText does (keys sorted,
// no HTML escaping, invalid UTF-8 as U+FFFD, U+2028/U+2029 escaped) without
// reflection: bulk import encodes millions of these.
func appendFieldsJSON(b []byte, f credit.Fields) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, f[k])
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeFields decodes a record's fields as appendFieldsJSON wrote them: a
// flat object of strings. Values without escapes are sliced out directly;
// anything else goes through encoding/json, which gives the same result.
func decodeFields(b []byte) (credit.Fields, error) {
	if bytes.IndexByte(b, '\\') >= 0 {
		var f credit.Fields
		err := json.Unmarshal(b, &f)
		return f, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	n := len(b)
	if n < 2 || b[0] != '{' || b[n-1] != '}' {
		var f credit.Fields
		err := json.Unmarshal(b, &f)
		return f, err
	}
	f := make(credit.Fields, bytes.Count(b, []byte{':'}))
	i := 1
	sp := func() {
		for i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
			i++
		}
	}
	str := func() (string, bool) {
		sp()
		if i >= n || b[i] != '"' {
			return "", false
		}
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 {
			return "", false
		}
		s := string(b[i+1 : i+1+j])
		i += j + 2
		return s, true
	}
	sp()
	for i < n-1 {
		k, ok := str()
		sp()
		if !ok || i >= n || b[i] != ':' {
			return slowFields(b)
		}
		i++
		v, ok := str()
		if !ok {
			return slowFields(b)
		}
		f[k] = v
		sp()
		if i < n-1 {
			if b[i] != ',' {
				return slowFields(b)
			}
			i++
		}
	}
	return f, nil
}

func slowFields(b []byte) (credit.Fields, error) {
	var f credit.Fields
	err := json.Unmarshal(b, &f)
	return f, err
}
