//go:build !linux

package engineio

import "errors"

// poller is Linux's (poller_linux.go); elsewhere each WebSocket is read by
// its own goroutine.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("engineio: no poller on this system") }
func pollable(*wsConn) bool       { return false }
func (*poller) park(*wsConn) bool { return false }
func (*poller) forget(*wsConn)    {}
func (*poller) Close()            {}

// tryWrite writes nothing here: the writer goroutine does it all.
func (c *wsConn) tryWrite([]byte) (n int, locked bool, err error) { return 0, false, nil }
