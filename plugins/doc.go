// Package plugins will hold the go-plugin protocol and SDK for third-party
// sinks (issue 8). Nothing is implemented here yet.
package plugins
