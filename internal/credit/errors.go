package credit

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind classifies an error so callers (HTTP handlers, the CLI, peers) can
// react to it without parsing messages. The values are stable: they appear in
// API responses and must not be renumbered or renamed.
type Kind uint8

const (
	Other           Kind = iota // unclassified
	Invalid                     // the caller sent something malformed or unlawful
	NotFound                    // the thing asked for does not exist
	Exists                      // the thing being created already exists
	Permission                  // the caller is known but not allowed
	Unauthenticated             // the caller is not known
	Conflict                    // the request clashes with current state
	Unavailable                 // a dependency (database, peer) cannot be reached
	Internal                    // a bug or an unexpected failure inside the platform
	RateLimited                 // the caller must slow down; the error may say for how long
	TooLarge                    // the request is larger than the platform accepts
)

var kindNames = [...]string{
	Other:           "other",
	Invalid:         "invalid",
	NotFound:        "not_found",
	Exists:          "exists",
	Permission:      "permission",
	Unauthenticated: "unauthenticated",
	Conflict:        "conflict",
	Unavailable:     "unavailable",
	Internal:        "internal",
	RateLimited:     "rate_limited",
	TooLarge:        "too_large",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the platform's error type: the operation that failed, a stable
// kind, and the underlying cause.
type Error struct {
	Op   string // e.g. "records.Append"
	Kind Kind
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. msg is formatted with args when args are given; if the
// last arg is an error it is wrapped so errors.Is/As keep working.
func E(op string, kind Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// Wrap attaches op and kind to err. It returns nil for a nil err. If err
// already carries a kind other than Other and kind is Other, the inner kind is
// kept.
func Wrap(op string, kind Kind, err error) error {
	if err == nil {
		return nil
	}
	if kind == Other {
		kind = KindOf(err)
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// KindOf reports the kind of the outermost *Error in err's chain that has a
// kind other than Other.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err has the given kind.
func Is(kind Kind, err error) bool { return KindOf(err) == kind }

// Text is a message in the platform's two languages: Chinese, which the
// pages show first, and English. As an error it reads in English (logs,
// the API's message); Chinese finds the Chinese.
type Text struct{ Zh, En string }

func (t *Text) Error() string { return t.En }

// Chinese is the message in Chinese.
func (t *Text) Chinese() string { return t.Zh }

// Say builds an error whose message a person reads in either language;
// zh and en are formatted with the same args. In zh, an arg that is an
// error carrying a Chinese message is given in Chinese. When the two
// languages need different args (a name in Chinese and in English), the
// formats pick them by index (%[2]s): unused args are then no mistake.
func Say(op string, kind Kind, zh, en string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: Says(zh, en, args...)}
}

// Says is the message of Say without an operation or a kind: a reason
// that is not an error of its own (a rejected row's, a refused field's).
func Says(zh, en string, args ...any) *Text {
	var zargs []any
	for i, a := range args {
		if err, ok := a.(error); ok {
			if c := Chinese(err); c != "" {
				if zargs == nil {
					zargs = slices.Clone(args)
				}
				zargs[i] = c
			}
		}
	}
	if zargs == nil {
		zargs = args
	}
	return &Text{Zh: fmt.Sprintf(zh, zargs...), En: fmt.Sprintf(en, args...)}
}

// Chinese returns the Chinese message err carries (the first error in
// its chain that says itself in Chinese: a Text, or a type with a Chinese
// method), or "" when it has none.
func Chinese(err error) string {
	var t interface{ Chinese() string }
	if errors.As(err, &t) {
		return t.Chinese()
	}
	return ""
}

// ChineseOr is err's Chinese message, or its English one when it has
// none: what a Chinese page or file shows of it.
func ChineseOr(err error) string {
	if c := Chinese(err); c != "" {
		return c
	}
	return err.Error()
}
