package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/pii"
)

func runKey(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		keyUsage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "rotate":
		return runKeyRotate(args[1:], stdout, stderr)
	case "signing":
		return runKeySigning(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "xinyong key: unknown subcommand %q; run `xinyong key --help`\n", args[0])
	return 2
}

func keyUsage(w io.Writer) {
	fmt.Fprint(w, `Usage: xinyong key rotate|signing [flags]

Natural persons' ID numbers are sealed with the data key (AES-256-GCM) and
found by a keyed hash; the database keeps the key's check value, never the
key, and every command that opens it refuses another key.

  rotate   re-seal everything under a new data key, then retire the old one
  signing  list the keys that sign credit reports and log checkpoints;
           --rotate makes a new one current (the old ones keep verifying)

Run `+"`xinyong key rotate --help`"+` for the procedure.
`)
}

// rotateHelp explains the procedure; the flags follow it.
const rotateHelp = `Re-seals every ID number and keyed hash in the database (natural persons,
responsible persons of list entries) under a new data key, then makes the
new key current and retires the old one, which is refused from then on.

It commits in batches with its progress in the database: if it is killed
or interrupted, run it again and it resumes. Serving nodes keep answering
meanwhile, as long as they hold both keys.

With SQLite and the key file (no --data-key): run it. It writes a new key
into the key file (the old one on the line after it), waits 5 s in which a
running serve takes both keys up from the file, re-seals, and leaves the
new key alone in the file. Back up the key file afterwards.

With PostgreSQL, or keys given in the environment:
  1. generate a key:        openssl rand -base64 32
  2. restart every node with XINYONG_DATA_KEY=<new key> and
     XINYONG_DATA_KEY_PREVIOUS=<old key>: the first to start registers
     the new key, and every node seals with it from then on;
  3. run xinyong key rotate with the same two variables;
  4. restart the nodes with XINYONG_DATA_KEY=<new key> alone. A node left
     with the old key alone is refused at start and not ready.
`

func runKeyRotate(args []string, stdout, stderr io.Writer) int {
	var cfg config.Config
	var batch int
	fs := newFlagSet("key rotate", "key rotate [flags]", stdout)
	cfg.Register(fs)
	fs.IntVar(&batch, "batch", 500, "rows re-sealed per transaction")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: xinyong key rotate [flags]\n\n%s\nFlags:\n", rotateHelp)
		fs.PrintDefaults()
	}
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "xinyong key rotate: unexpected argument %q (see `xinyong key rotate --help`)\n", fs.Arg(0))
		return 2
	}
	if err := cfg.Validate(); err != nil {
		return fail(stderr, "key rotate", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := cfg.Logger()
	fileMode := strings.TrimSpace(cfg.DataKey) == "" && !cfg.Postgres()
	if fileMode {
		// A new key goes into the key file first, with the current one
		// after it: a crash from here on leaves a file that opens
		// everything, and the next start or run picks the rotation up.
		finished, err := beginFileRotation(ctx, &cfg)
		if err != nil {
			return fail(stderr, "key rotate", err)
		}
		if finished != "" {
			fmt.Fprintf(stdout, "the rotation to data key %s had finished; the key file %s holds it alone now: back it up (run again to rotate anew)\n", finished, cfg.KeyFile())
			return 0
		}
	}
	cat, err := app.LoadCatalog(&cfg)
	if err != nil {
		return fail(stderr, "key rotate", err)
	}
	st, s, err := app.OpenSealed(ctx, &cfg, cat, logger)
	if err != nil {
		return fail(stderr, "key rotate", err)
	}
	defer st.Close()
	from, to, err := rotation(ctx, st, s)
	if err != nil {
		return fail(stderr, "key rotate", err)
	}
	if to == "" {
		fmt.Fprintf(stdout, "data key %s is current and no rotation is under way: nothing to re-seal\n", s.KeyID())
		if len(s.KeyIDs()) == 1 && !fileMode {
			fmt.Fprintln(stdout, "to rotate, give the new key as XINYONG_DATA_KEY and the current one as XINYONG_DATA_KEY_PREVIOUS (see `xinyong key rotate --help`)")
		}
		return 0
	}
	if fileMode && adoptWait > 0 {
		// A serve running on the key file takes the new key up within
		// app.KeyFileInterval; until it has, it seals with the old key alone
		// and cannot open what is re-sealed.
		fmt.Fprintf(stdout, "waiting %s for running nodes to take up key %s from the key file\n", adoptWait, to)
		select {
		case <-ctx.Done():
			return fail(stderr, "key rotate", errors.New("interrupted; nothing is re-sealed yet: run it again to resume"))
		case <-time.After(adoptWait):
		}
	}
	fmt.Fprintf(stdout, "rotating the data key from %s to %s\n", from, to)
	start := time.Now()
	last := map[string]credit.ResealProgress{}
	err = pii.Rotate(ctx, st, s, pii.RotateOptions{Batch: batch, Progress: func(p credit.ResealProgress) {
		if prev, ok := last[p.Column]; !ok || prev.Pass != p.Pass || p.Done {
			if p.Done {
				fmt.Fprintf(stdout, "%s: done, %d re-sealed\n", p.Column, p.Resealed)
			} else if p.Pass > 1 && (!ok || prev.Pass != p.Pass) {
				fmt.Fprintf(stdout, "%s: pass %d, looking for values sealed with the old key since\n", p.Column, p.Pass)
			}
		}
		last[p.Column] = p
	}})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fail(stderr, "key rotate", errors.New("interrupted; what is done is kept: run it again to resume"))
		}
		return fail(stderr, "key rotate", err)
	}
	fmt.Fprintf(stdout, "data key %s is current; key %s is retired and refused from now on (%s)\n", to, from, time.Since(start).Round(time.Millisecond))
	if fileMode {
		if err := dropPreviousKeys(cfg.KeyFile(), to); err != nil {
			return fail(stderr, "key rotate", fmt.Errorf("the rotation is finished but the key file still holds the old key after the new one (harmless; run again to tidy it): %w", err))
		}
		fmt.Fprintf(stdout, "the key file %s holds the new key alone: back it up\n", cfg.KeyFile())
	} else {
		fmt.Fprintln(stdout, "restart the nodes with XINYONG_DATA_KEY set to the new key alone")
	}
	return 0
}

// adoptWait is how long `key rotate` on the key file waits, once the new
// key is in the file and registered, before it re-seals anything: long
// enough for a serve following the file (followKeyFile) to take it up.
var adoptWait = 2*app.KeyFileInterval + time.Second

// rotation names the keys of the rotation under way, "" if none.
func rotation(ctx context.Context, st credit.KeyStore, s *pii.Sealer) (from, to string, err error) {
	keys, err := st.DataKeys(ctx)
	if err != nil {
		return "", "", err
	}
	for _, k := range keys {
		switch k.State {
		case credit.KeyCurrent:
			from = k.ID
		case credit.KeyNext:
			to = k.ID
		}
	}
	if to == "" {
		return "", "", nil
	}
	return from, to, nil
}

// beginFileRotation puts a new key before the current one in the key file,
// unless the file already holds a rotation's two keys (one that was
// interrupted: it resumes). A file whose first key is current and whose
// others are retired is what a rotation killed after it finished leaves:
// it is tidied, and the key that rotation made current is returned.
func beginFileRotation(ctx context.Context, cfg *config.Config) (finished string, err error) {
	path := cfg.KeyFile()
	keys, err := app.ReadKeyFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("there is no key file %s: restore it from the backup made with the database (a database with no key has nothing to rotate)", path)
		}
		return "", err
	}
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer st.Close()
	s, err := app.ParseSealer(app.ConfiguredKeys(cfg, keys))
	if err != nil {
		return "", err
	}
	// The store checks (and on a database from before check values,
	// registers) the key file's keys first.
	s, _, err = pii.Check(ctx, st, s, time.Now())
	if err != nil {
		return "", err
	}
	_, to, err := rotation(ctx, st, s)
	switch {
	case err != nil || to != "":
		return "", err // a rotation is under way: resume it with the file as it is
	case len(keys) > 1:
		return s.KeyID(), dropPreviousKeys(path, s.KeyID())
	}
	k, err := pii.NewKey()
	if err != nil {
		return "", err
	}
	return "", app.WriteKeyFile(path, []string{k, keys[0]})
}

// dropPreviousKeys leaves the key file with its first key alone, which
// must be key id.
func dropPreviousKeys(path, id string) error {
	keys, err := app.ReadKeyFile(path)
	if err != nil {
		return err
	}
	s, err := app.ParseSealer(keys[:1])
	if err != nil {
		return err
	}
	if s.KeyID() != id {
		return fmt.Errorf("the key file's first key is key %s, not the current key %s", s.KeyID(), id)
	}
	return app.WriteKeyFile(path, keys[:1])
}
