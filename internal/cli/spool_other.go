//go:build !unix

package cli

import "runtime"

var windows = runtime.GOOS == "windows"

// lockDir: no advisory lock on this platform; one node per spool
// directory is up to the operator.
func lockDir(string) (func(), error) { return func() {}, nil }
