// Package pipelines loads and validates the YAML files that declare
// pipelines: each pipeline reads the binlog of one MySQL or MariaDB source
// and writes to one Postgres sink.
//
// Load (or Parse) checks the whole file before anything connects: YAML
// syntax, unknown keys (with the closest known key suggested), value
// types, required keys, durations and sizes, enumerations, duplicate
// pipeline names and server ids, impossible combinations, ${VAR}
// references to unset environment variables, and the syntax of both DSNs.
// Every problem found is returned at once in an *Errors, each an *Error
// with the file, line, column, key path and a message that says how to
// fix it:
//
//	pipelines/shop.yaml:12:7: pipelines[0].policies.zero_date: "nul" is not one of null, infinity, -infinity, error (did you mean null?)
//
// ${VAR}, ${VAR:-default} and $$ are expanded in scalar values after the
// YAML is parsed, so a secret may hold any character; errors quote values
// as written in the file (the ${VAR} reference, never its value) and mask
// DSN passwords.
//
// The schema, with every key, its type, default and allowed values, is
// documented in docs/pipelines.md; examples are in pipelines/examples.
package pipelines
