//go:build unix

package devtools

import (
	"os"
	"os/exec"
	"syscall"
)

// prepare gives the browser its ends of the pipes, as its file descriptors 3
// (commands) and 4 (answers and events), and puts it in a process group of
// its own, so that killing it kills its renderers too.
func prepare(cmd *exec.Cmd, commands, answers *os.File) error {
	cmd.ExtraFiles = []*os.File{commands, answers} // from fd 3 on
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return nil
}
