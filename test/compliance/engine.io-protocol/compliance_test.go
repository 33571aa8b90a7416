// Package engineioprotocol runs the official Engine.IO v4 compliance suite
// (test-suite/ of github.com/socketio/engine.io-protocol, kept here; see
// README.md) with Node.js against cmd/sio-compliance, whose /engine.io/ is
// Pinion's Engine.IO server (transport/socketio/engineio) as an echo server.
package engineioprotocol

import (
	"testing"

	"github.com/pinionhq/pinion/internal/compliancetest"
)

func TestEngineIOProtocol(t *testing.T) { compliancetest.Run(t) }
