// Package socketioprotocol runs the official Socket.IO v5 compliance suite
// (test-suite/ of github.com/socketio/socket.io-protocol, kept here; see
// README.md) with Node.js against cmd/sio-compliance, whose /socket.io/ is
// Pinion's Socket.IO layer (transport/socketio/sio) on its Engine.IO server.
package socketioprotocol

import (
	"testing"

	"github.com/pinionhq/pinion/internal/compliancetest"
)

func TestSocketIOProtocol(t *testing.T) { compliancetest.Run(t) }
