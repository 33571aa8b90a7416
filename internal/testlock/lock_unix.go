//go:build unix

package testlock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func lock(t testing.TB, exclusive bool) func() {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "pinion-testlock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() { f.Close() }
}
