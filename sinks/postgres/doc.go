// Package postgres is the Postgres sink: it creates target tables from the
// source schema, applies batches of row changes through COPY into staging
// tables and one set-based merge per table, commits each batch together
// with the pipeline's checkpoint in one transaction (exactly-once), and
// evolves target tables from schema-change records.
package postgres
