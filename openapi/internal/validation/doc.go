// Package validation tests package openapi's documents: that they are
// valid OpenAPI 3.1, against the schemas the OpenAPI Initiative publishes
// (testdata/oas3.1) and the specification's rules those cannot state, and
// that the chat app answers as its document says, its schemas compiled as
// JSON Schema 2020-12 by santhosh-tekuri/jsonschema. The tests live here,
// not in package openapi, because an app's go mod tidy loads the tests of
// every package the app imports: in openapi's own tests the chat app they
// describe would put its dependencies into every app's dependencies.
package validation
