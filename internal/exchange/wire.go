package exchange

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// SchemaVersion is the version of the feed format this build writes and
// reads. A batch of another version is refused, whole and clearly.
const SchemaVersion = 1

// Operations of a fact in a feed (JSON Lines, ADD/MOD/DEL).
const (
	OpAdd = "ADD" // a new fact: a record, a subject, an entry proposed or reported, a mark, a case outcome
	OpMod = "MOD" // a fact that changes another: a correction, a subject's new registration data, an entry's next step
	OpDel = "DEL" // a fact that withdraws another: a revocation, an entry's removal
)

// Kinds of fact in a feed.
const (
	KindSubject   = "subject"
	KindRecord    = "record"
	KindListEvent = "list_event"
	KindMark      = "mark"
	KindCase      = "case"
)

// Fact is one line of a feed: one fact of its origin, with the origin's
// ID for it (what makes applying idempotent) and the origin's feed
// position it was written at. Exactly one of the parts is set; Need is
// the subject the fact is about, for a receiver that does not have it.
type Fact struct {
	Op   string `json:"op"`
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Pos  int64  `json:"pos"`

	Need       *credit.Subject          `json:"need,omitempty"`
	Person     *PersonRef               `json:"person,omitempty"`
	Subject    *credit.Subject          `json:"subject,omitempty"`
	Record     *credit.Record           `json:"record,omitempty"`
	ListEvent  *credit.ListEvent        `json:"list_event,omitempty"`
	Mark       *credit.VerificationMark `json:"mark,omitempty"`
	Case       *credit.Case             `json:"case,omitempty"`
	CaseEvents []credit.CaseEvent       `json:"case_events,omitempty"`
}

// PersonRef is the natural person a fact is about, as it travels: the
// origin's subject ID for it (keyed with the origin's data key, so
// meaningless elsewhere), the name, and the resident ID number sealed with
// the federation's exchange key. The receiver opens it and keys the person
// with its own data key.
type PersonRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Sealed []byte `json:"sealed"`
}

// Item is the catalogue item a fact is about, if any.
func (f *Fact) Item() string {
	if f.Record != nil {
		return f.Record.Item
	}
	return ""
}

// Header is a batch's first line: whose facts (Origin, signed with the key
// KeyID names), for whom (Feed: the receiving peer), which positions of the
// origin's feed (after From up to To), how many facts, the origin's head
// when it was made, and when. Snapshot marks a bootstrap segment.
type Header struct {
	Schema   int       `json:"xinyong_feed"`
	Origin   string    `json:"origin"`
	Feed     string    `json:"feed"`
	From     int64     `json:"from"`
	To       int64     `json:"to"`
	Head     int64     `json:"head"`
	Count    int       `json:"count"`
	Snapshot bool      `json:"snapshot,omitempty"`
	At       time.Time `json:"at"`
	KeyID    string    `json:"key"`
}

// Batch is a header and its facts.
type Batch struct {
	Header Header
	Facts  []Fact
}

// trailer is a batch's last line.
type trailer struct {
	Sig string `json:"sig"`
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Encode writes the batch as JSON Lines (header, facts, signature line),
// signed with priv over every byte before the signature line.
func Encode(b *Batch, priv ed25519.PrivateKey) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b.Header.Schema = SchemaVersion
	b.Header.Count = len(b.Facts)
	b.Header.KeyID = KeyID(priv.Public().(ed25519.PublicKey))
	if err := enc.Encode(&b.Header); err != nil {
		return nil, err
	}
	for i := range b.Facts {
		if err := enc.Encode(&b.Facts[i]); err != nil {
			return nil, err
		}
	}
	sig := ed25519.Sign(priv, buf.Bytes())
	if err := enc.Encode(trailer{Sig: base64.StdEncoding.EncodeToString(sig)}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Refusal reasons: a batch is refused whole, nothing of it applied.
const (
	RefuseMalformed = "malformed"
	RefuseSchema    = "schema"
	RefuseOrigin    = "unknown_origin"
	RefuseSignature = "signature"
	RefuseMismatch  = "mismatch"
)

// RefusedError is a batch refused on arrival.
type RefusedError struct {
	Reason string
	Err    *credit.Error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

func refuse(reason, zh, en string, args ...any) *RefusedError {
	err := credit.Say("exchange.Decode", credit.Invalid, zh, en, args...)
	var ce *credit.Error
	if e, ok := err.(*credit.Error); ok {
		ce = e
	}
	return &RefusedError{Reason: reason, Err: ce}
}

// Keys finds the public key of an origin; ok false for an origin this node
// does not know.
type Keys func(origin string) (pub ed25519.PublicKey, ok bool)

// Decode parses and verifies a batch: the schema version must be this
// build's, the origin one keys knows, the signature the origin's key over
// every byte before it, and the header must agree with its facts (count,
// positions inside (From, To]). want, when not empty, is the origin the
// transport says the batch came from (the stream, the peer asked): a
// batch of another is refused as mismatched.
func Decode(data []byte, keys Keys, want string) (*Batch, error) {
	body, sigLine, ok := splitLast(data)
	if !ok {
		return nil, refuse(RefuseMalformed, "交换批次格式错误：缺少签名行", "malformed batch: no signature line")
	}
	var tr trailer
	if err := json.Unmarshal(sigLine, &tr); err != nil || tr.Sig == "" {
		return nil, refuse(RefuseMalformed, "交换批次格式错误：签名行无法读取", "malformed batch: the signature line cannot be read")
	}
	sig, err := base64.StdEncoding.DecodeString(tr.Sig)
	if err != nil {
		return nil, refuse(RefuseMalformed, "交换批次格式错误：签名不是base64", "malformed batch: the signature is not base64")
	}
	nl := bytes.IndexByte(body, '\n')
	if nl < 0 {
		return nil, refuse(RefuseMalformed, "交换批次格式错误：缺少批次头", "malformed batch: no header")
	}
	var h Header
	if err := json.Unmarshal(body[:nl], &h); err != nil {
		return nil, refuse(RefuseMalformed, "交换批次格式错误：批次头无法读取（%[2]v）", "malformed batch: the header cannot be read: %[1]v", err, err)
	}
	if h.Schema != SchemaVersion {
		return nil, refuse(RefuseSchema, "交换批次的格式版本%[1]d本节点不认识（本节点为%[2]d）：请升级本节点后再接收", "the batch is in feed format version %[1]d, which this node does not know (it reads %[2]d): upgrade this node to receive it", h.Schema, SchemaVersion)
	}
	if want != "" && h.Origin != want {
		return nil, refuse(RefuseMismatch, "批次自称来自%[1]s，但经由%[2]s的通道到达：不予接收", "the batch says it comes from %[1]s but arrived on %[2]s's channel: refused", h.Origin, want)
	}
	pub, ok := keys(h.Origin)
	if !ok {
		return nil, refuse(RefuseOrigin, "未知的来源节点%s：对端中没有它，不予接收", "unknown origin %s: not among this node's peers, refused", h.Origin)
	}
	if KeyID(pub) != h.KeyID {
		return nil, refuse(RefuseMismatch, "批次用密钥%[2]s签名，而%[1]s的密钥是%[3]s：不予接收", "the batch is signed with key %[2]s, but %[1]s's key is %[3]s: refused", h.Origin, h.KeyID, KeyID(pub))
	}
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, body, sig) {
		return nil, refuse(RefuseSignature, "批次签名与%s的公钥不符：内容被改动或伪造，不予接收", "the batch's signature does not verify with %s's key: altered or forged, refused", h.Origin)
	}
	b := &Batch{Header: h}
	rest := body[nl+1:]
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			i = len(rest)
		}
		line := rest[:i]
		rest = rest[min(i+1, len(rest)):]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var f Fact
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, refuse(RefuseMalformed, "交换批次第%[1]d条事实无法读取：%[2]v", "fact %[1]d of the batch cannot be read: %[2]v", len(b.Facts)+1, err)
		}
		if f.Pos <= h.From || f.Pos > h.To || f.ID == "" {
			return nil, refuse(RefuseMismatch, "事实%[1]s的位置%[2]d不在批次范围(%[3]d, %[4]d]内", "fact %[1]s at position %[2]d is outside the batch's range (%[3]d, %[4]d]", f.ID, f.Pos, h.From, h.To)
		}
		b.Facts = append(b.Facts, f)
	}
	if len(b.Facts) != h.Count {
		return nil, refuse(RefuseMismatch, "批次头写明%[1]d条事实，实有%[2]d条", "the header says %[1]d facts, the batch holds %[2]d", h.Count, len(b.Facts))
	}
	return b, nil
}

// splitLast splits off the last non-empty line.
func splitLast(data []byte) (body, last []byte, ok bool) {
	data = bytes.TrimRight(data, "\n")
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 {
		return nil, nil, false
	}
	return data[:i+1], data[i+1:], true
}

// ParseKey reads a public key in its text form (base64).
func ParseKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("a node's public key is %d bytes in base64", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// KeyText is a public key's text form.
func KeyText(pub []byte) string { return base64.StdEncoding.EncodeToString(pub) }
