package devtools

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A ConsoleMessage is what a page reported to its console: a call of the
// console API (console.log, console.error, ...), an exception that nothing
// caught, or an entry of the browser's log, such as a request that failed or
// a script that the Content-Security-Policy refused.
type ConsoleMessage struct {
	// Type is the console API's method ("log", "error", "warning", ...),
	// "exception" for an uncaught exception or an unhandled rejection, or
	// the level of a log entry ("verbose", "info", "warning", "error").
	Type string
	// Text is the message: the arguments of a console call, joined by
	// spaces (no %s formatting); "Uncaught" and the error for an exception.
	Text string
	// URL and Line (from 1; 0 if unknown) tell where it came from.
	URL  string
	Line int
}

// IsError reports whether the console shows the message as an error.
func (m ConsoleMessage) IsError() bool {
	switch m.Type {
	case "error", "assert", "exception":
		return true
	}
	return false
}

func (m ConsoleMessage) String() string {
	if m.URL == "" {
		return m.Type + ": " + m.Text
	}
	return fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line)
}

// decodeConsole reads the events Runtime.consoleAPICalled,
// Runtime.exceptionThrown and Log.entryAdded.
func decodeConsole(method string, params json.RawMessage) (ConsoleMessage, error) {
	var m ConsoleMessage
	switch method {
	case "Runtime.consoleAPICalled":
		var ev struct {
			Type       string         `json:"type"`
			Args       []remoteObject `json:"args"`
			StackTrace *stackTrace    `json:"stackTrace"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return m, err
		}
		args := make([]string, len(ev.Args))
		for i := range ev.Args {
			args[i] = ev.Args[i].text()
		}
		m.Type, m.Text = ev.Type, strings.Join(args, " ")
		m.URL, m.Line = ev.StackTrace.top()
	case "Runtime.exceptionThrown":
		var ev struct {
			Details exceptionDetails `json:"exceptionDetails"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return m, err
		}
		m.Type, m.Text = "exception", ev.Details.message()
		m.URL, m.Line = ev.Details.URL, ev.Details.LineNumber+1
		if m.URL == "" {
			m.URL, m.Line = ev.Details.StackTrace.top()
		}
	case "Log.entryAdded":
		var ev struct {
			Entry struct {
				Level      string `json:"level"`
				Text       string `json:"text"`
				URL        string `json:"url"`
				LineNumber *int   `json:"lineNumber"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(params, &ev); err != nil {
			return m, err
		}
		e := ev.Entry
		m.Type, m.Text, m.URL = e.Level, e.Text, e.URL
		if e.LineNumber != nil {
			m.Line = *e.LineNumber + 1
		}
	default:
		return m, fmt.Errorf("devtools: %s is not a console event", method)
	}
	return m, nil
}

// top is where the innermost call of the stack is, if there is a stack.
func (s *stackTrace) top() (url string, line int) {
	if s == nil || len(s.CallFrames) == 0 {
		return "", 0
	}
	return s.CallFrames[0].URL, s.CallFrames[0].LineNumber + 1
}
