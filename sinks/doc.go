// Package sinks is the parent of the built-in sinks (postgres,
// elasticsearch, mysql), which arrive with issues 5 and 8. Sinks depend on
// package core only, never on sources. Nothing is implemented here yet.
package sinks
