// Package pipelines will load and validate the YAML pipeline definitions and
// hold the example pipelines (issue 5). Nothing is implemented here yet.
package pipelines
