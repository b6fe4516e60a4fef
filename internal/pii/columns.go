package pii

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/xinyong/xinyong/internal/credit"
)

// Column is a sealed column and what a key rotation does with one of its
// rows.
type Column struct {
	credit.SealedColumn
	// Reseal rewrites a row's values so that everything in them is sealed
	// and hashed with r.To, opening them with r.From; nil when the row is
	// sealed with r.To already.
	Reseal func(r *Rekey, key string, values [][]byte) ([][]byte, error)
	// Opens reports whether s, a sealer of one key, opens what the row
	// holds (tells is false when the row cannot say): on a database from
	// before key check values, it tells which key the data was sealed with.
	Opens func(s *Sealer, values [][]byte) (opens, tells bool)
	// Clear says that an older version kept the column's values in
	// clear: SealClear seals them.
	Clear bool
}

// Rekey is a rotation's pair of sealers: From opens with every key given
// (the previous and the new one), To seals and hashes with the new key
// only.
type Rekey struct {
	From, To *Sealer
}

// Columns is the registry of every place the platform keeps a value sealed
// or keyed-hashed with the data key. The key check (a database holding any
// of them refuses a new key) and `xinyong key rotate` (which re-seals them
// in this order) take it from here: a new sealed column joins both with
// one entry.
var Columns = []Column{subjectIDNumbers, responsiblePersons, rejectedRows, reportEnvelopes}

var register sync.Mutex

// Register adds a sealed column that another package defines (the
// records' personal fields, which need the catalogue to be found): once
// per name, before the key check and any rotation.
func Register(c Column) {
	register.Lock()
	defer register.Unlock()
	for _, o := range Columns {
		if o.Name == c.Name {
			return
		}
	}
	Columns = append(Columns, c)
}

// ColumnNames lists the registry's names.
func ColumnNames() []string {
	out := make([]string, len(Columns))
	for i, c := range Columns {
		out[i] = c.Name
	}
	return out
}

func sealedColumns() []credit.SealedColumn {
	out := make([]credit.SealedColumn, len(Columns))
	for i, c := range Columns {
		out[i] = c.SealedColumn
	}
	return out
}

// subjectIDNumbers: natural persons' ID numbers, sealed, with the keyed
// hash they are found by. The subject's ID, derived from the hash under
// the key of the day it was registered, stays: records, list entries,
// cases and accounts point at it.
var subjectIDNumbers = Column{
	SealedColumn: credit.SealedColumn{Name: "subjects.id_number", Table: "subjects", Key: "id",
		Fields: []credit.SealedField{{Name: "id_cipher", Binary: true}, {Name: "id_hash"}}, Where: "id_cipher IS NOT NULL"},
	Reseal: func(r *Rekey, _ string, v [][]byte) ([][]byte, error) {
		if len(v[0]) == 0 || r.To.SealedWith(v[0]) {
			return nil, nil
		}
		id, err := r.From.Open(v[0])
		if err != nil {
			return nil, err
		}
		sealed, err := r.To.Seal(id)
		if err != nil {
			return nil, err
		}
		return [][]byte{sealed, []byte(r.To.Hash(id))}, nil
	},
	Opens: func(s *Sealer, v [][]byte) (bool, bool) {
		id, err := s.Open(v[0])
		return err == nil && (len(v[1]) == 0 || s.Hash(id) == string(v[1])), true
	},
}

// responsiblePersons: the 法定代表人, 主要负责人 and 实际控制人 of listed
// subjects (credit.ResponsiblePerson in list_events.detail), each with the
// keyed hash the hit check finds them by and the sealed number it is
// recomputed from. Persons stored before the number was sealed beside the
// hash are recovered from their masked number and hash (Sealer.Recover).
// Only the persons are rewritten; the rest of the event stays as it was.
var responsiblePersons = Column{
	SealedColumn: credit.SealedColumn{Name: "list_events.persons", Table: "list_events", Key: "id",
		Fields: []credit.SealedField{{Name: "detail"}}, Where: `detail LIKE '%"id_hash"%'`},
	Reseal: func(r *Rekey, key string, v [][]byte) ([][]byte, error) {
		var d map[string]json.RawMessage
		if err := json.Unmarshal(v[0], &d); err != nil {
			return nil, fmt.Errorf("detail: %w", err)
		}
		var ps []map[string]json.RawMessage
		if len(d["persons"]) == 0 {
			return nil, nil
		}
		if err := json.Unmarshal(d["persons"], &ps); err != nil {
			return nil, fmt.Errorf("detail.persons: %w", err)
		}
		changed := false
		for i, p := range ps {
			var hash, masked string
			var sealed []byte
			_ = json.Unmarshal(p["id_hash"], &hash) // absent: ""
			_ = json.Unmarshal(p["id_masked"], &masked)
			_ = json.Unmarshal(p["id_cipher"], &sealed)
			if hash == "" || (len(sealed) > 0 && r.To.SealedWith(sealed)) {
				continue
			}
			var id string
			if len(sealed) > 0 {
				var err error
				if id, err = r.From.Open(sealed); err != nil {
					return nil, fmt.Errorf("person %d: %w", i+1, err)
				}
			} else {
				var ok bool
				if id, ok = r.From.Recover(masked, hash); !ok {
					return nil, credit.E("", credit.Conflict, "person %d (%s) was stored with only a hash of the ID number, and no number masked %s has that hash under the keys given: give the key the list entry was made with as the previous key", i+1, masked, masked)
				}
			}
			sealed, err := r.To.Seal(id)
			if err != nil {
				return nil, err
			}
			p["id_cipher"], _ = json.Marshal(sealed)
			p["id_hash"], _ = json.Marshal(r.To.Hash(id))
			changed = true
		}
		if !changed {
			return nil, nil
		}
		var err error
		if d["persons"], err = marshal(ps); err != nil {
			return nil, err
		}
		out, err := marshal(d)
		return [][]byte{out}, err
	},
	Opens: func(s *Sealer, v [][]byte) (bool, bool) {
		var d struct {
			Persons []credit.ResponsiblePerson `json:"persons"`
		}
		if json.Unmarshal(v[0], &d) != nil {
			return false, false
		}
		for _, p := range d.Persons {
			switch {
			case p.IDHash == "":
				continue
			case len(p.IDCipher) > 0:
				id, err := s.Open(p.IDCipher)
				return err == nil && s.Hash(id) == p.IDHash, true
			case p.IDMasked != "":
				_, ok := s.Recover(p.IDMasked, p.IDHash)
				return ok, true
			}
		}
		return false, false // a hash of something that is no ID number (generated data) says nothing
	},
}

// rejectedRows: a rejected row's cells, as the department sent them (they
// may hold a person's ID number in any column), sealed as a whole. Rows
// kept before rows were sealed are clear JSON: sealed at the first pass.
var rejectedRows = Column{
	Clear: true,
	SealedColumn: credit.SealedColumn{Name: "batch_reject_rows.raw", Table: "batch_reject_rows", Key: "id",
		Fields: []credit.SealedField{{Name: "raw"}}},
	Reseal: func(r *Rekey, _ string, v [][]byte) ([][]byte, error) {
		raw := string(v[0])
		if IsSealedBlob(raw) && r.To.BlobSealedWith(raw) {
			return nil, nil
		}
		clear := v[0]
		if IsSealedBlob(raw) {
			var err error
			if clear, err = r.From.OpenBlob(raw); err != nil {
				return nil, err
			}
		}
		sealed, err := r.To.SealBlob(clear)
		return [][]byte{[]byte(sealed)}, err
	},
	Opens: func(s *Sealer, v [][]byte) (bool, bool) {
		if !IsSealedBlob(string(v[0])) {
			return false, false
		}
		_, err := s.OpenBlob(string(v[0]))
		return err == nil, true
	},
}

// reportEnvelopes: an issued credit report as downloaded again (the
// subject's own report holds its ID number opened), sealed as a whole.
var reportEnvelopes = Column{
	SealedColumn: credit.SealedColumn{Name: "reports.envelope", Table: "reports", Key: "id",
		Fields: []credit.SealedField{{Name: "envelope"}}},
	Reseal: func(r *Rekey, _ string, v [][]byte) ([][]byte, error) {
		if r.To.BlobSealedWith(string(v[0])) {
			return nil, nil
		}
		clear, err := r.From.OpenBlob(string(v[0]))
		if err != nil {
			return nil, err
		}
		sealed, err := r.To.SealBlob(clear)
		return [][]byte{[]byte(sealed)}, err
	},
	Opens: func(s *Sealer, v [][]byte) (bool, bool) {
		_, err := s.OpenBlob(string(v[0]))
		return err == nil, true
	},
}

// marshal encodes v as the store writes JSON: without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
