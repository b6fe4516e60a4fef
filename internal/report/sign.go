package report

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// Formats of what is signed and logged.
const (
	BodyFormat      = "xinyong-report/1"
	StatementFormat = "xinyong-report-statement/1"
)

// Canonical is the canonical form of a JSON value, the form that is
// hashed and signed: object keys sorted, no insignificant white space,
// strings escaped as Go escapes them (no HTML escaping), numbers as they
// were written. Any change of a value changes it; re-indenting does not.
func Canonical(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return marshal(v)
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Digest names the SHA-256 of b: "sha256:<hex>".
func Digest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// Part is one part of a report's content with its digest, so that a
// verifier names the part that was changed.
type Part struct {
	Digest string `json:"digest"`
	Name   string `json:"name"`
}

// Statement is what the platform signs: the report's identity, its times,
// the key, and the digests of its content (whole and by part). Its fields
// are in the order of their JSON names (see Body).
type Statement struct {
	Digest     string `json:"digest"`
	Format     string `json:"format"`
	IssuedAt   string `json:"issued_at"`
	Issuer     string `json:"issuer"`
	KeyID      string `json:"key_id"`
	Kind       string `json:"kind"`
	LogOrigin  string `json:"log_origin"`
	Parts      []Part `json:"parts"`
	No         string `json:"report_no"`
	ValidUntil string `json:"valid_until"`
}

// Envelope is an issued report as it is downloaded and verified: the
// signed statement, its signature, the report, and the proof that the
// report is in the transparency log.
type Envelope struct {
	Statement json.RawMessage `json:"statement"`
	Signature string          `json:"signature"`
	Report    json.RawMessage `json:"report"`
	Log       *tlog.Inclusion `json:"log,omitempty"`
}

// parts are the digests of a canonical body's parts: each top-level
// member, and each element of its sections, domains and indicators by
// code, hashed as they stand in the canonical bytes.
func parts(body []byte) ([]Part, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	var out []Part
	for k, v := range m {
		out = append(out, Part{Name: k, Digest: Digest(v)})
		if k != "sections" && k != "domains" && k != "indicators" {
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) != nil {
			continue
		}
		for i, e := range arr {
			name := fmt.Sprintf("%s[%d]", k, i)
			var c struct {
				Code string `json:"code"`
			}
			if json.Unmarshal(e, &c) == nil && c.Code != "" {
				name = k + "/" + c.Code
			}
			out = append(out, Part{Name: name, Digest: Digest(e)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LeafData is a report's leaf in the transparency log: its signed
// statement and signature.
//
//	xinyong-report/1
//	<the statement, canonical JSON>
//	<the signature, standard base64>
func LeafData(statement []byte, sig string) []byte {
	return []byte(BodyFormat + "\n" + string(statement) + "\n" + sig + "\n")
}

// sign makes the statement of a body in canonical form (as Body
// marshals) and signs it.
func sign(canon []byte, st Statement, k *signing.Key) (stmt []byte, sig string, err error) {
	st.Format, st.KeyID, st.Digest = StatementFormat, k.ID, Digest(canon)
	if st.Parts, err = parts(canon); err != nil {
		return nil, "", err
	}
	if stmt, err = marshal(st); err != nil {
		return nil, "", err
	}
	return stmt, base64.StdEncoding.EncodeToString(k.Sign(stmt)), nil
}

// Verification is what verifying a report found.
type Verification struct {
	No         string    `json:"report_no"`
	Kind       string    `json:"kind"`
	Issuer     string    `json:"issuer"`
	IssuedAt   time.Time `json:"issued_at"`
	ValidUntil time.Time `json:"valid_until"`
	KeyID      string    `json:"key_id"`
	Digest     string    `json:"digest"`
	// Checkpoint is the signed log checkpoint the report was proved
	// against; LeafIndex its leaf.
	Checkpoint tlog.Checkpoint `json:"-"`
	LeafIndex  int64           `json:"leaf_index"`
	Expired    bool            `json:"expired"`
}

// MismatchError says what of a report does not match what was signed or
// logged, one line per finding.
type MismatchError struct{ Problems []string }

func (e *MismatchError) Error() string {
	return "the report does not verify:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Verify verifies an envelope offline with the published key set: the
// statement's signature, the content against the statement's digests, the
// report's inclusion in the log against its signed checkpoint, and, when
// trusted is given, that checkpoint against it (same size and root; a
// newer trusted checkpoint needs consistency, which `xinyong log verify`
// checks). now decides expiry. The error is a *MismatchError naming what
// does not match.
func Verify(envJSON []byte, ks *signing.KeySet, now time.Time, trusted *tlog.Checkpoint) (*Verification, error) {
	var env Envelope
	if err := json.Unmarshal(envJSON, &env); err != nil {
		return nil, &MismatchError{[]string{"not a report (JSON envelope): " + err.Error()}}
	}
	if len(env.Statement) == 0 || len(env.Report) == 0 || env.Signature == "" {
		return nil, &MismatchError{[]string{"not a report: the statement, signature or report is missing"}}
	}
	var problems []string
	// The statement and the report are hashed as they stand when they are
	// in canonical form, as issued; a re-indented file is canonicalised.
	stmt := []byte(env.Statement)
	if c, err := Canonical(stmt); err != nil {
		return nil, &MismatchError{[]string{"the statement is not JSON: " + err.Error()}}
	} else if !bytes.Equal(c, stmt) {
		stmt = c
	}
	var st Statement
	if err := json.Unmarshal(stmt, &st); err != nil || st.Format != StatementFormat {
		return nil, &MismatchError{[]string{fmt.Sprintf("the statement is not a %s statement", StatementFormat)}}
	}
	v := &Verification{No: st.No, Kind: st.Kind, Issuer: st.Issuer, KeyID: st.KeyID, Digest: st.Digest, LeafIndex: -1}
	v.IssuedAt, _ = time.Parse(time.RFC3339, st.IssuedAt)
	v.ValidUntil, _ = time.Parse(time.RFC3339, st.ValidUntil)

	// 1. The signature over the statement.
	pub, ok := ks.Public(st.KeyID)
	sig, serr := base64.StdEncoding.DecodeString(env.Signature)
	switch {
	case !ok:
		problems = append(problems, fmt.Sprintf("signed with key %s, which is not among the platform's published keys (%s)", st.KeyID, strings.Join(ks.IDs(), ", ")))
	case serr != nil || !ed25519.Verify(pub, stmt, sig):
		problems = append(problems, fmt.Sprintf("the signature does not match the signed statement (report number, kind, times, digests) under key %s: the statement or the signature was changed", st.KeyID))
	}
	if st.Issuer != ks.Issuer || st.LogOrigin != ks.LogOrigin {
		problems = append(problems, fmt.Sprintf("the statement names issuer %q and log %q; the key set is of %q and %q", st.Issuer, st.LogOrigin, ks.Issuer, ks.LogOrigin))
	}

	// 2. The content against the statement's digests.
	canon, err := []byte(env.Report), error(nil)
	if Digest(canon) != st.Digest {
		canon, err = Canonical(env.Report)
	}
	if err != nil {
		problems = append(problems, "the report's content is not JSON: "+err.Error())
	} else if d := Digest(canon); d != st.Digest {
		got, _ := parts(canon)
		problems = append(problems, fmt.Sprintf("the report's content (digest %s) is not the content signed (%s)%s", short(d), short(st.Digest), partsDiffer(st.Parts, got)))
	}
	if canon != nil {
		var head struct {
			No         string `json:"report_no"`
			Kind       string `json:"kind"`
			IssuedAt   string `json:"issued_at"`
			ValidUntil string `json:"valid_until"`
		}
		_ = json.Unmarshal(canon, &head)
		if head.No != st.No || head.Kind != st.Kind || head.IssuedAt != st.IssuedAt || head.ValidUntil != st.ValidUntil {
			problems = append(problems, fmt.Sprintf("the report says number %s, kind %s, issued %s, valid until %s; the statement signed says %s, %s, %s, %s",
				head.No, head.Kind, head.IssuedAt, head.ValidUntil, st.No, st.Kind, st.IssuedAt, st.ValidUntil))
		}
	}

	// 3. Inclusion in the log, against the signed checkpoint.
	if env.Log == nil {
		problems = append(problems, "the report carries no proof of inclusion in the transparency log")
	} else {
		vs, err := ks.Verifiers()
		if err != nil {
			return nil, err
		}
		cp, err := tlog.VerifyInclusionProof(env.Log, LeafData(stmt, env.Signature), vs, ks.LogOrigin)
		if err != nil {
			problems = append(problems, "transparency log: "+err.Error())
		} else {
			v.Checkpoint, v.LeafIndex = cp, env.Log.Index
			if trusted != nil {
				switch {
				case trusted.Origin != cp.Origin:
					problems = append(problems, fmt.Sprintf("the checkpoint given is of log %q, the report's of %q", trusted.Origin, cp.Origin))
				case trusted.Size == cp.Size && !bytes.Equal(trusted.Root, cp.Root):
					problems = append(problems, fmt.Sprintf("the report's checkpoint and the one given are both of %d leaves but have different roots: the log was rewritten", cp.Size))
				case trusted.Size != cp.Size:
					problems = append(problems, fmt.Sprintf("the report was proved against the log at %d leaves, the checkpoint given is at %d: prove the two consistent with `xinyong log verify --consistency`", cp.Size, trusted.Size))
				}
			}
		}
	}
	v.Expired = !v.ValidUntil.IsZero() && !now.Before(v.ValidUntil)
	if len(problems) > 0 {
		return v, &MismatchError{problems}
	}
	return v, nil
}

// partsDiffer names the parts whose digests differ.
func partsDiffer(want, got []Part) string {
	w := map[string]string{}
	for _, p := range want {
		w[p.Name] = p.Digest
	}
	var changed, added []string
	for _, p := range got {
		d, ok := w[p.Name]
		switch {
		case !ok:
			added = append(added, p.Name)
		case d != p.Digest:
			changed = append(changed, p.Name)
		}
		delete(w, p.Name)
	}
	var removed []string
	for n := range w {
		removed = append(removed, n)
	}
	slices.Sort(removed)
	var out []string
	if len(changed) > 0 {
		out = append(out, "changed: "+strings.Join(changed, ", "))
	}
	if len(added) > 0 {
		out = append(out, "added: "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		out = append(out, "removed: "+strings.Join(removed, ", "))
	}
	if len(out) == 0 {
		return ""
	}
	return " (" + strings.Join(out, "; ") + ")"
}

func short(d string) string {
	if len(d) > 19 {
		return d[:19] + "…"
	}
	return d
}
