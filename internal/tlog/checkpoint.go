package tlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a commitment to the log at one size (C2SP
// tlog-checkpoint): its origin, size and root hash.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   []byte
}

// Body is the checkpoint's note text:
//
//	<origin>
//	<size>
//	<root, standard base64>
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root) + "\n"
}

// Sign signs the checkpoint as a C2SP signed note.
func (c Checkpoint) Sign(s note.Signer) (string, error) {
	b, err := note.Sign(&note.Note{Text: c.Body()}, s)
	return string(b), err
}

// ParseCheckpoint reads a checkpoint's note text (extension lines after
// the root are allowed and ignored, as the format says).
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[0] == "" {
		return Checkpoint{}, errors.New("not a checkpoint: want an origin, a size and a root hash, one per line")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("not a checkpoint: size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != Hasher.Size() {
		return Checkpoint{}, fmt.Errorf("not a checkpoint: root hash %q", lines[2])
	}
	return Checkpoint{Origin: lines[0], Size: n, Root: root}, nil
}

// OpenCheckpoint verifies a signed checkpoint with the verifiers (the
// platform's published keys) and, when origin is set, that it is that
// log's. The error says what does not match.
func OpenCheckpoint(signed []byte, vs note.Verifiers, origin string) (Checkpoint, error) {
	n, err := note.Open(signed, vs)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, errors.New("the checkpoint is not signed by any of the keys given")
		case isInvalidSig(err):
			return Checkpoint{}, errors.New("the checkpoint's signature does not verify: its text was changed after it was signed")
		}
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if origin != "" && c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("the checkpoint is of log %q, not of %q", c.Origin, origin)
	}
	return c, nil
}

func isInvalidSig(err error) bool {
	var e *note.InvalidSignatureError
	return errors.As(err, &e)
}

// VerifyInclusion checks that leafHash is leaf index of the tree that c
// commits to, with proof. The error says what does not match.
func VerifyInclusion(c Checkpoint, index int64, leafHash []byte, hashes [][]byte) error {
	if index < 0 || index >= c.Size {
		return fmt.Errorf("leaf %d is beyond the checkpoint's tree of %d leaves", index, c.Size)
	}
	if err := proof.VerifyInclusion(Hasher, uint64(index), uint64(c.Size), leafHash, hashes, c.Root); err != nil {
		var rm proof.RootMismatchError
		if errors.As(err, &rm) {
			return fmt.Errorf("the inclusion proof of leaf %d leads to root %s, not to the checkpoint's root %s at size %d: the leaf or the proof was changed",
				index, short(rm.CalculatedRoot), short(c.Root), c.Size)
		}
		return fmt.Errorf("the inclusion proof of leaf %d in the tree of %d leaves is malformed: %v", index, c.Size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree old commits to is a prefix of the
// tree new commits to: the log was only appended to between them.
func VerifyConsistency(old, new Checkpoint, hashes [][]byte) error {
	if old.Origin != new.Origin {
		return fmt.Errorf("the checkpoints are of different logs (%q and %q)", old.Origin, new.Origin)
	}
	if old.Size > new.Size {
		return fmt.Errorf("the first checkpoint (%d leaves) is larger than the second (%d): give the older one first", old.Size, new.Size)
	}
	if old.Size == new.Size {
		if !bytes.Equal(old.Root, new.Root) {
			return fmt.Errorf("two checkpoints of %d leaves with different roots (%s and %s): the log was rewritten", old.Size, short(old.Root), short(new.Root))
		}
		return nil
	}
	if err := proof.VerifyConsistency(Hasher, uint64(old.Size), uint64(new.Size), hashes, old.Root, new.Root); err != nil {
		var rm proof.RootMismatchError
		if errors.As(err, &rm) {
			return fmt.Errorf("the log of %d leaves is not a prefix of the log of %d leaves: the consistency proof leads to root %s where the checkpoint says %s; the log was rewritten, or the proof is wrong",
				old.Size, new.Size, short(rm.CalculatedRoot), short(rm.ExpectedRoot))
		}
		return fmt.Errorf("the consistency proof from %d to %d leaves is malformed: %v", old.Size, new.Size, err)
	}
	return nil
}

func short(h []byte) string {
	s := base64.StdEncoding.EncodeToString(h)
	if len(s) > 12 {
		s = s[:12] + "…"
	}
	return s
}
