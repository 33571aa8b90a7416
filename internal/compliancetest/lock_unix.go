//go:build unix

package compliancetest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// lockPort takes the machine-wide lock of the suites' port, 3000: the
// Socket.IO suite, in another package that go test runs in parallel, wants
// the same port. It waits for the lock; the returned function releases it.
func lockPort(t *testing.T) func() {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "pinion-sio-compliance-"+port+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() { f.Close() }
}
