package authentication_test

import (
	"testing"

	"github.com/pinionhq/pinion/authentication"
	"github.com/pinionhq/pinion/authentication/storetest"
)

// TestMemoryStore runs the shared store suite on the in-process store: one
// instance, so both "instances" are the same store.
func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, storetest.Store) {
		s := authentication.NewMemoryStore()
		return s, s
	})
}
