//go:build windows

package federation

import (
	"errors"
	"os"
)

var errNoStop = errors.New("federation: a process cannot be paused on Windows (no SIGSTOP)")

func pause(*os.Process) error  { return errNoStop }
func resume(*os.Process) error { return nil } // never paused

// terminate ends the process: Windows has no SIGTERM to send it.
func terminate(p *os.Process) { _ = p.Kill() } // a process already gone has nothing to end
