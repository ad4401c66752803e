// Package core holds Syncer's record and schema model, shared by sources,
// transforms and sinks; sinks depend on core, never on sources.
//
// The schema model (schema.go) describes a source table at one moment:
// Table with ordered Columns (name, ColumnType with every MySQL attribute,
// nullability, default, generated and invisible flags), the primary key and
// unique keys, the table defaults, and a Version that the schema history
// raises each time the definition changes. Fingerprint is a stable hash of
// the definition, so two readers agree on whether a table changed.
//
// SchemaChange (change.go) is the record a DDL statement becomes: the
// table before and after, the statement and its Position, for sinks to
// evolve their tables; rows decoded after it carry the new Version.
//
// The pipeline runtime, row records, batching and checkpoints come with
// issue 5.
package core
