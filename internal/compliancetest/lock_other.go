//go:build !unix

package compliancetest

import "testing"

// lockPort does nothing where flock is missing: run the suites one at a time
// there (go test -p 1).
func lockPort(t *testing.T) func() { return func() {} }
