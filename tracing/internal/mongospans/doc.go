// Package mongospans tests the spans of package tracing's MongoDB command
// monitor against a real server (the embedded FerretDB). The test lives
// here, not in package tracing, because an app's go mod tidy loads the
// tests of every package the app imports: in tracing's own tests it would
// put FerretDB, a test-only module, into every app's dependencies.
package mongospans
