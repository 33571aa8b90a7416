//go:build !unix

package devtools

import (
	"errors"
	"os"
	"os/exec"
)

// prepare fails: Chromium takes its pipes as file descriptors 3 and 4 on
// Unix only (on Windows they are handles, which the package does not pass).
func prepare(cmd *exec.Cmd, commands, answers *os.File) error {
	return errors.ErrUnsupported
}
