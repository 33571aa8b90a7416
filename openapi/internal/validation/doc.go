// Package validation tests package openapi's documents with a maintained
// OpenAPI 3.1 validator (pb33f/libopenapi-validator). The tests live here,
// not in package openapi, because an app's go mod tidy loads the tests of
// every package the app imports: in openapi's own tests they would put
// libopenapi (and, through the chat app they describe, its dependencies)
// into every app's dependencies.
package validation
