package pinion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is a Feathers error: the value every transport sends to clients as
//
//	{"name": …, "message": …, "code": …, "className": …, "data"?: …, "errors"?: …}
//
// The official clients turn that JSON back into the error class named by "name", so the
// name and class name follow from Code and cannot drift apart. Data and Errors are sent
// only when set. The cause, if any, stays on the server: it is for logs and errors.Is,
// never for the wire.
type Error struct {
	Code    int
	Message string
	Data    any
	Errors  any
	// Header holds HTTP headers the REST transport sends with the error, such as
	// Retry-After with a TooManyRequests. Not part of the JSON.
	Header http.Header
	cause  error
}

// errorClass is one row of the Feathers error table (@feathersjs/errors).
type errorClass struct{ name, className string }

var errorClasses = map[int]errorClass{
	400: {"BadRequest", "bad-request"},
	401: {"NotAuthenticated", "not-authenticated"},
	402: {"PaymentError", "payment-error"},
	403: {"Forbidden", "forbidden"},
	404: {"NotFound", "not-found"},
	405: {"MethodNotAllowed", "method-not-allowed"},
	406: {"NotAcceptable", "not-acceptable"},
	408: {"Timeout", "timeout"},
	409: {"Conflict", "conflict"},
	410: {"Gone", "gone"},
	411: {"LengthRequired", "length-required"},
	// 413 is not a Feathers class; Pinion adds it so an oversized body is not a 500.
	// Clients that do not know the name see a plain Error carrying the same fields.
	413: {"PayloadTooLarge", "payload-too-large"},
	422: {"Unprocessable", "unprocessable"},
	429: {"TooManyRequests", "too-many-requests"},
	500: {"GeneralError", "general-error"},
	501: {"NotImplemented", "not-implemented"},
	502: {"BadGateway", "bad-gateway"},
	503: {"Unavailable", "unavailable"},
}

// NewError returns an error with the given code. A code outside the Feathers table
// becomes 500, because clients could not map it to a class.
func NewError(code int, message string) *Error {
	if _, ok := errorClasses[code]; !ok {
		code = 500
	}
	if message == "" {
		message = "Error"
	}
	return &Error{Code: code, Message: message}
}

func newf(code int, format string, args []any) *Error {
	if len(args) == 0 {
		return NewError(code, format)
	}
	return NewError(code, fmt.Sprintf(format, args...))
}

// The Feathers error classes. Each formats its message like fmt.Sprintf.

func BadRequest(format string, args ...any) *Error       { return newf(400, format, args) }
func NotAuthenticated(format string, args ...any) *Error { return newf(401, format, args) }
func PaymentError(format string, args ...any) *Error     { return newf(402, format, args) }
func Forbidden(format string, args ...any) *Error        { return newf(403, format, args) }
func NotFound(format string, args ...any) *Error         { return newf(404, format, args) }
func MethodNotAllowed(format string, args ...any) *Error { return newf(405, format, args) }
func NotAcceptable(format string, args ...any) *Error    { return newf(406, format, args) }
func Timeout(format string, args ...any) *Error          { return newf(408, format, args) }
func Conflict(format string, args ...any) *Error         { return newf(409, format, args) }
func Gone(format string, args ...any) *Error             { return newf(410, format, args) }
func LengthRequired(format string, args ...any) *Error   { return newf(411, format, args) }
func PayloadTooLarge(format string, args ...any) *Error  { return newf(413, format, args) }
func Unprocessable(format string, args ...any) *Error    { return newf(422, format, args) }
func TooManyRequests(format string, args ...any) *Error  { return newf(429, format, args) }
func GeneralError(format string, args ...any) *Error     { return newf(500, format, args) }
func NotImplemented(format string, args ...any) *Error   { return newf(501, format, args) }
func BadGateway(format string, args ...any) *Error       { return newf(502, format, args) }
func Unavailable(format string, args ...any) *Error      { return newf(503, format, args) }

// Name is the Feathers class name, e.g. "NotFound".
func (e *Error) Name() string { return errorClasses[e.code()].name }

// ClassName is the Feathers kebab-case class name, e.g. "not-found".
func (e *Error) ClassName() string { return errorClasses[e.code()].className }

// Status is the HTTP status of the error: its Code when that is one of the
// Feathers classes, else 500, the same code its JSON carries.
func (e *Error) Status() int { return e.code() }

func (e *Error) code() int {
	if _, ok := errorClasses[e.Code]; ok {
		return e.Code
	}
	return 500
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Name() + ": " + e.Message + ": " + e.cause.Error()
	}
	return e.Name() + ": " + e.Message
}

// Unwrap returns the server-side cause set by Wrap.
func (e *Error) Unwrap() error { return e.cause }

// WithData returns a copy of e carrying data (sent to clients as "data").
func (e *Error) WithData(data any) *Error {
	c := *e
	c.Data = data
	return &c
}

// WithErrors returns a copy of e carrying errs (sent to clients as "errors"), the
// place Feathers uses for per-field validation messages.
func (e *Error) WithErrors(errs any) *Error {
	c := *e
	c.Errors = errs
	return &c
}

// WithHeader returns a copy of e that the REST transport sends with the header
// key: value.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Header = e.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return &c
}

// Wrap returns a copy of e that records cause for logs and errors.Is/As. The cause
// is never serialised.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Is reports whether target is a *Error of the same class, so that
// errors.Is(err, pinion.NotFound("")) asks "is err a NotFound?", as instanceof does in
// Feathers. Messages are not compared.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code() == e.code()
}

type errorJSON struct {
	Name      string `json:"name"`
	Message   string `json:"message"`
	Code      int    `json:"code"`
	ClassName string `json:"className"`
	Data      any    `json:"data,omitempty"`
	Errors    any    `json:"errors,omitempty"`
}

// MarshalJSON writes the Feathers wire shape.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(errorJSON{
		Name:      e.Name(),
		Message:   e.Message,
		Code:      e.code(),
		ClassName: e.ClassName(),
		Data:      e.Data,
		Errors:    e.Errors,
	})
}

// UnmarshalJSON reads the Feathers wire shape, so Go clients and tests can decode
// errors sent by Pinion or by a Feathers server.
func (e *Error) UnmarshalJSON(b []byte) error {
	var v errorJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*e = Error{Code: v.Code, Message: v.Message, Data: v.Data, Errors: v.Errors}
	return nil
}

// ToError converts any error into the Feathers error a client may see.
//
// A *Error (anywhere in the chain) is returned as is. A context deadline becomes
// Timeout. Everything else is an internal failure: it becomes a GeneralError whose
// message is the original one only when expose is true (development); otherwise it
// is a fixed text, so driver messages and other internals never reach a client.
func ToError(err error, expose bool) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Timeout("The operation timed out").Wrap(err)
	}
	if expose {
		return GeneralError("%s", err.Error()).Wrap(err)
	}
	return GeneralError("Internal server error").Wrap(err)
}
