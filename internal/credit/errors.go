package credit

import (
	"errors"
	"fmt"
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

// Say builds an error whose message a person reads in either language;
// zh and en are formatted with the same args.
func Say(op string, kind Kind, zh, en string, args ...any) error {
	return &Error{Op: op, Kind: kind, Err: &Text{Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}}
}

// Chinese returns the Chinese message err carries (the innermost Text in
// its chain), or "" when it has none.
func Chinese(err error) string {
	var t *Text
	if errors.As(err, &t) {
		return t.Zh
	}
	return ""
}
