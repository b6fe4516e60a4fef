// Command xinyong runs the public credit information platform.
package main

import (
	"os"

	"github.com/xinyong/xinyong/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
