package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/xinyong/xinyong/internal/credit"
)

// Versions of the catalogue's files: an administrator uploads a new
// version of one file (the department register, the measure list, ...),
// the platform checks it with everything else in force (Replace, the same
// checks as at start), shows what it changes (Diff) and, once activated,
// loads it over the files in force (Overlay).

// Files lists the catalogue's files.
func Files() []string { return slices.Clone(fileNames) }

// IsFile reports whether name is one of the catalogue's files.
func IsFile(name string) bool { return slices.Contains(fileNames, name) }

// Raw returns file name as it was read.
func (c *Catalog) Raw(name string) []byte { return c.raw[name] }

// Overlay loads the catalogue with files replacing those of base, file by
// file, and checks the whole. source names where the replacements come
// from (for Sources).
func Overlay(base *Catalog, files map[string][]byte, source string) (*Catalog, error) {
	for name := range files {
		if !IsFile(name) {
			return nil, credit.Say("catalog.Overlay", credit.Invalid, "%s不是信息目录文件", "%s is not a catalogue file", name)
		}
	}
	return load(func(name string) ([]byte, string, error) {
		if b, ok := files[name]; ok {
			return b, source, nil
		}
		return base.raw[name], base.Sources[name], nil
	})
}

// Replace checks data as a new version of file name over base: the
// catalogue it would make, or every problem found.
func Replace(base *Catalog, name string, data []byte) (*Catalog, error) {
	return Overlay(base, map[string][]byte{name: data}, "upload")
}

// Change is one difference between two versions of a file: an entry (by
// its code) added, removed or changed in one of the file's lists, or a
// top-level setting changed.
type Change struct {
	List   string   `json:"list"`             // the file's list ("items", "measures"...), or "" for a setting
	Code   string   `json:"code"`             // the entry's code, or the setting's name
	Op     string   `json:"op"`               // added, removed, changed
	Fields []string `json:"fields,omitempty"` // for changed: the fields that differ
}

// Diff compares two versions of one catalogue file: the entries of each
// top-level list by their code, and the top-level settings.
func Diff(old, new []byte) ([]Change, error) {
	var o, n map[string]json.RawMessage
	if err := json.Unmarshal(old, &o); err != nil {
		return nil, fmt.Errorf("catalog diff: old version: %w", err)
	}
	if err := json.Unmarshal(new, &n); err != nil {
		return nil, fmt.Errorf("catalog diff: new version: %w", err)
	}
	var out []Change
	keys := map[string]bool{}
	for k := range o {
		keys[k] = true
	}
	for k := range n {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ol, oIsList := byCode(o[k])
		nl, nIsList := byCode(n[k])
		if !oIsList && !nIsList {
			if !sameJSON(o[k], n[k]) {
				out = append(out, Change{Code: k, Op: "changed"})
			}
			continue
		}
		codes := map[string]bool{}
		for c := range ol {
			codes[c] = true
		}
		for c := range nl {
			codes[c] = true
		}
		cs := make([]string, 0, len(codes))
		for c := range codes {
			cs = append(cs, c)
		}
		sort.Strings(cs)
		for _, c := range cs {
			ov, inOld := ol[c]
			nv, inNew := nl[c]
			switch {
			case !inOld:
				out = append(out, Change{List: k, Code: c, Op: "added"})
			case !inNew:
				out = append(out, Change{List: k, Code: c, Op: "removed"})
			default:
				if fs := changedFields(ov, nv); len(fs) > 0 {
					out = append(out, Change{List: k, Code: c, Op: "changed", Fields: fs})
				}
			}
		}
	}
	return out, nil
}

// byCode reads a list of objects with a "code" as a map by code; false
// when raw is not such a list.
func byCode(raw json.RawMessage) (map[string]map[string]json.RawMessage, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	var elems []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil || len(elems) == 0 {
		return nil, false
	}
	out := make(map[string]map[string]json.RawMessage, len(elems))
	for _, e := range elems {
		var code string
		if err := json.Unmarshal(e["code"], &code); err != nil || code == "" {
			return nil, false
		}
		out[code] = e
	}
	return out, true
}

func changedFields(o, n map[string]json.RawMessage) []string {
	var out []string
	for k, v := range o {
		if w, ok := n[k]; !ok || !sameJSON(v, w) {
			out = append(out, k)
		}
	}
	for k := range n {
		if _, ok := o[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// VersionStore is where versions are kept (credit.CatalogVersionStore).
type VersionStore = credit.CatalogVersionStore

// Upload checks data as a new version of file over the catalogue in
// force, and keeps it (inactive) with what it changes. A version that
// fails the checks is not kept: Invalid with every problem.
func Upload(ctx context.Context, st VersionStore, inForce *Catalog, file string, data []byte, note, by string, now time.Time) (*credit.CatalogVersion, []Change, error) {
	const op = "catalog.Upload"
	if !IsFile(file) {
		return nil, nil, credit.Say(op, credit.NotFound, "%s不是信息目录文件", "%s is not a catalogue file", file)
	}
	next, err := Replace(inForce, file, data)
	if err != nil {
		return nil, nil, err
	}
	changes, err := Diff(inForce.Raw(file), data)
	if err != nil {
		return nil, nil, credit.E(op, credit.Invalid, "%w", err)
	}
	if len(changes) == 0 {
		return nil, nil, credit.Say(op, credit.Conflict, "上传的文件与现行版本相同", "the file is the same as the version in force")
	}
	sum := sha256.Sum256(data)
	v := &credit.CatalogVersion{ID: credit.NewID(), File: file, Version: next.Versions[file], SHA256: hex.EncodeToString(sum[:]),
		Content: data, Note: note, UploadedBy: by, Uploaded: now}
	if err := st.AddCatalogVersion(ctx, v); err != nil {
		return nil, nil, credit.Wrap(op, credit.Other, err)
	}
	return v, changes, nil
}

// Activate checks version id again over the catalogue in force (which may
// have changed since the upload) and makes it its file's active version;
// the version active before is kept. Nodes load it at their next start.
func Activate(ctx context.Context, st VersionStore, inForce *Catalog, id, by string, now time.Time) (*credit.CatalogVersion, error) {
	const op = "catalog.Activate"
	v, err := st.CatalogVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Active {
		return nil, credit.Say(op, credit.Conflict, "该版本已是现行版本", "version %s is already active", id)
	}
	if _, err := Replace(inForce, v.File, v.Content); err != nil {
		return nil, err
	}
	if err := st.ActivateCatalogVersion(ctx, id, by, now); err != nil {
		return nil, credit.Wrap(op, credit.Other, err)
	}
	return st.CatalogVersion(ctx, id)
}

// WithActive is base with the active versions in st loaded over it (the
// catalogue a node starts with); base itself when none is active.
func WithActive(ctx context.Context, st VersionStore, base *Catalog) (*Catalog, error) {
	vs, err := st.ActiveCatalogVersions(ctx)
	if err != nil || len(vs) == 0 {
		return base, err
	}
	files := make(map[string][]byte, len(vs))
	for _, v := range vs {
		files[v.File] = v.Content
	}
	cat, err := Overlay(base, files, "database")
	if err != nil {
		return nil, fmt.Errorf("catalog: the active versions in the database do not load: %w", err)
	}
	return cat, nil
}
