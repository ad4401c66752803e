// Package transforms will hold the WebAssembly transform host (wazero) and
// the guest SDKs (issue 7). Nothing is implemented here yet.
package transforms
