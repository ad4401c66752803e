// Package schema tracks MySQL/MariaDB table definitions through DDL.
//
// Every binlog row must be decoded with the table definition in force when
// it was written. A Catalog holds the databases and tables (core.Table) at
// one point of the binlog; an Applier parses the statements of a QUERY
// event with TiDB's MySQL parser (github.com/pingcap/tidb/pkg/parser) and
// applies the DDL among them to the Catalog, returning one Change per
// effect. Reconcile checks a TABLE_MAP against the tracked table. History
// persists the versions.
//
// # History
//
// History (history.go, store.go) keeps every table version with the
// binlog Point where it takes effect, in a bbolt file in the pipeline's
// state directory (one fsync'd transaction per write, a file lock against a
// second process). The life of a pipeline: a first start takes a Baseline
// of the captured tables at the start point; each DDL event is Recorded at
// its position; a restart calls TruncateAfter(checkpoint) (the stream will
// deliver the later DDL again) and AsOf(checkpoint) to rebuild the Catalog;
// Prune(checkpoint) now and then, after the checkpoint is durable, drops
// what no later restart can need. AsOf returns ErrNoHistory for a point
// before the first baseline: the schema there is unknown, and a caller
// must refuse to decode rather than guess.
//
// # Tracker and Rewind
//
// Tracker (tracker.go) is the pipeline's use of all of this, without I/O
// besides the History file: fed a binlog's QUERY, TABLE_MAP and rows
// events in order, it applies each DDL to its Catalog and records the new
// versions at the event's end point, returning core.SchemaChange records;
// it reconciles each TABLE_MAP with the tracked table and points rows
// events at a TABLE_MAP completed from it (binlog.TableMapEvent.
// WithSchema: names, signedness, charsets, ENUM/SET labels), returning the
// table version the rows belong to. DDL it cannot apply follows a
// DDLErrorPolicy (DDLFail, the default, or DDLSkip). A cheap first-word
// test keeps BEGIN, COMMIT and statement-format DML away from the parser.
//
// Rewind derives the catalog at the start of a binlog window from the
// catalog read at its end and the window's QUERY events: tables the window
// creates first did not exist at the start, tables it changes before
// defining them cannot be known there (Unknowable, UnknowableError).
// History.CoveredUntil says how far the binlog has been read into a
// history, so that a reader starting further on reads the DDL in between
// first.
//
// # Reconciliation
//
// A TABLE_MAP is the truth for the rows that follow it. Reconcile compares
// what it carries (column count and types always; signedness and charsets
// with binlog_row_metadata=MINIMAL; names and ENUM/SET labels with FULL)
// with the tracked table and returns a *MismatchError listing every
// difference, for instance after a DDL that ran with sql_log_bin=0.
//
// # Use
//
//	c := schema.NewCatalog()
//	c.SetFlavor(schema.FlavorMariaDB)
//	c.SetServerDefaults("utf8mb4", "")        // @@character_set_server, @@collation_server
//	a := schema.NewApplier()
//	t, err := a.TableFromCreate(c, "db", showCreateTableOutput) // initial capture
//	c.PutTable(t)
//	a.SetSQLMode(event.SQLMode)               // Q_SQL_MODE_CODE: ANSI_QUOTES etc.
//	changes, err := a.Apply(c, event.Schema, event.Query)
//
// Apply ignores what is not table or database DDL: DML, transaction
// control, SET, GRANT, users, views, triggers, routines, events, sequences,
// plain (non-unique) indexes, temporary tables. CREATE/DROP INDEX and ALTER
// TABLE ADD/DROP of a UNIQUE index or the primary key are changes.
//
// Errors: ErrUnparsable (the parser cannot read the statement),
// ErrUnknownTable (DDL on a table the catalog does not hold, e.g. outside
// the captured set) and ErrNeedsServerSchema (CREATE TABLE ... SELECT with
// no column definitions: re-read the table from the server). A query of
// several statements is applied statement by statement; a failing
// statement changes nothing, the others still apply, and the returned
// error joins the failures (use errors.Is). The caller chooses the policy.
//
// # Versions
//
// A created table has Version 1 (a CREATE that replaces an existing table,
// CREATE OR REPLACE, has the old version + 1). A change whose result has a
// different Fingerprint has Old.Version+1; an ALTER that changes nothing in
// the model (ENGINE=, ALGORITHM=, a plain index, ...) produces no Change.
// RENAME keeps the columns but is a new version: Version = Old.Version+1
// under the new name, because the identity (Schema, Name, part of the
// Fingerprint) changed; versions of one name are therefore not
// necessarily increasing across a drop or a rename onto it. TRUNCATE keeps
// the version (Change with Old == New).
//
// An ALTER TABLE that renames and also changes the definition is one
// AlterTable change whose New has the new name; an ALTER whose only
// action is RENAME TO is a RenameTable change. DROP DATABASE emits a
// DropTable change for each of its tables, then DropDatabase.
//
// # Names
//
// Schema and table names are case-sensitive, as on Linux with
// lower_case_table_names=0; SetCaseInsensitiveNames(true) for
// lower_case_table_names=1/2. Column and index names are case-insensitive
// as in MySQL.
//
// # The normalized model
//
// The model is built the same way from a DDL statement and from SHOW
// CREATE TABLE, so that a tracked definition equals the definition read
// from the server (the differential test against MariaDB checks this
// after every statement of a long sequence):
//
//   - Synonyms: INTEGER→int, BOOL/BOOLEAN→tinyint(1), DEC/NUMERIC/FIXED→
//     decimal (precision 10, scale 0 when omitted), REAL/DOUBLE PRECISION/
//     FLOAT(p>24)→double, SERIAL→bigint unsigned NOT NULL AUTO_INCREMENT
//     UNIQUE, LONG VARCHAR→mediumtext, LONG VARBINARY→mediumblob,
//     NATIONAL CHAR/NCHAR/NVARCHAR→char/varchar utf8mb3, TEXT(n)/BLOB(n)→
//     the smallest TEXT/BLOB type holding n characters, CHAR/VARCHAR/TEXT
//     with CHARACTER SET binary→binary/varbinary/blob, CHAR without length
//     →char(1), BIT without length→bit(1).
//   - Flavor (SetFlavor) decides what differs between servers: integer
//     display widths (MariaDB: int→int(11); MySQL 8: dropped except
//     tinyint(1) and ZEROFILL; unknown: as written), YEAR (year(4) on
//     MariaDB), JSON (MariaDB: longtext utf8mb4_bin, as the server stores
//     it; else "json") and the default collation of utf8mb4
//     (utf8mb4_general_ci on MariaDB 10.x, utf8mb4_0900_ai_ci on MySQL 8,
//     empty when the flavor is unknown). Other charsets' default
//     collations come from a table of the common charsets (same on both
//     servers); an unknown charset without collation gets an empty one.
//   - Charset resolution: a column's explicit CHARACTER SET/COLLATE, else
//     the table default, which is the explicit table option, else the
//     database default, else the server default. COLLATE alone implies its
//     charset; CHARACTER SET alone its default collation; the BINARY
//     attribute the charset's _bin collation. utf8 is utf8mb3.
//   - CONVERT TO CHARACTER SET changes the table default and every
//     character column (not binary ones). TEXT columns grow as MySQL and
//     MariaDB grow them to keep their capacity in characters: the new type
//     is the smallest holding (old capacity in bytes / old max bytes per
//     char) × new max bytes per char (TEXT latin1 → MEDIUMTEXT utf8mb4);
//     they never shrink.
//   - Defaults: a nullable column without DEFAULT (not generated, not
//     AUTO_INCREMENT) has Default "NULL", as SHOW CREATE TABLE says.
//     Literals are canonical: numbers plainly for integer columns, DECIMAL
//     with its scale ('1.5' → 1.500), temporal values with all their
//     fields and the column's FSP ('2020-01-02' → '2020-01-02 00:00:00.000'
//     for DATETIME(3), 0 → the zero date, TIME 10 → '00:00:10'), strings
//     single-quoted, quotes doubled;
//     CURRENT_TIMESTAMP/NOW()/LOCALTIME[STAMP] → current_timestamp() or
//     current_timestamp(n). Other expressions and generated columns are
//     printed by the parser's restorer (lower-case keywords, backquoted
//     names).
//   - TIMESTAMP with explicit_defaults_for_timestamp=OFF (MySQL 5.7,
//     MariaDB before 10.10; SetExplicitDefaultsForTimestamp(false)): NOT
//     NULL unless declared NULL; without DEFAULT, the table's first
//     TIMESTAMP (approximated as: no other TIMESTAMP column exists yet)
//     defaults to current_timestamp() unless it has ON UPDATE, the others
//     to '0000-00-00 00:00:00'. ON UPDATE itself is not in the model.
//   - JSON (ColumnType.JSON): set for the JSON type (MySQL's "json",
//     MariaDB's longtext alias) and for a text column (CHAR, VARCHAR,
//     *TEXT) that an enforced CHECK requires to be valid JSON: a column
//     CHECK (json_valid(the column itself)), as SHOW CREATE TABLE prints
//     MariaDB's JSON, or a table CHECK (json_valid(col)) in CREATE TABLE,
//     ALTER TABLE ADD CONSTRAINT or ADD (...); json_valid(c) may be one
//     conjunct of an AND. MODIFY/CHANGE take the new definition's (MariaDB
//     drops a column check with the old definition, so MODIFY j LONGTEXT
//     ends JSON), RENAME COLUMN and CONVERT TO CHARACTER SET keep it.
//     Known gaps, as the model does not hold check constraints: DROP
//     CONSTRAINT/DROP CHECK of a table check does not clear the mark, and
//     MODIFY/CHANGE of a column marked by a table check (which the server
//     keeps) clears it.
//   - Keys: unnamed UNIQUE keys are named after their first column (_2,
//     _3... on collision); unique keys are kept in the servers' order:
//     those on NOT NULL columns first, then those without prefix parts,
//     then definition order; a prefix as long as a CHAR/VARCHAR/BINARY/
//     VARBINARY column is a full key part; PRIMARY KEY columns are NOT
//     NULL; AUTO_INCREMENT columns are NOT NULL. Dropping a column removes
//     it from keys (a key left empty is dropped). Keys with expression
//     parts (functional indexes) are not modelled.
//
// # Beyond the TiDB grammar
//
// The TiDB parser lacks a few MySQL/MariaDB constructs. Before parsing, a
// token-level pass (rewrite.go) rewrites them into syntax the parser reads
// with the same information: spatial types (GEOMETRY, POINT, ...,
// GEOMETRYCOLLECTION/GEOMCOLLECTION) and MariaDB's INET4, INET6 and UUID
// become placeholder types; SRID n (MySQL) / REF_SYSTEM_ID=n (MariaDB) and
// the INVISIBLE column attribute become tagged column options;
// PERSISTENT (MariaDB) becomes STORED; MariaDB's executable comments
// /*M!nnnnnn ... */ are executed like /*!nnnnn ... */ (both regardless of
// the version number); CREATE OR REPLACE TABLE becomes a replacing CREATE;
// SPATIAL KEY/INDEX becomes a plain index; MariaDB's ALGORITHM=NOCOPY,
// WAIT n / NOWAIT, ALTER ONLINE TABLE, RENAME TABLES and the COMPRESSED
// column attribute are reduced to what TiDB reads (compression is not in
// the model); MySQL's ALTER COLUMN c SET [IN]VISIBLE is carried as a
// tagged SET DEFAULT; DEFAULT (expression), which TiDB accepts only for
// literals and function calls, is passed as text and parsed as an
// expression on its own (so DEFAULT (a+1), MariaDB's DEFAULT (`a` + 1) and
// MySQL's DEFAULT ((`a` + 1)) give the same model). The same pass splits a
// query at top-level semicolons (not inside a stored program's body), so
// each statement is parsed and reported on its own; Change.Statement and
// errors quote the statement as written. A statement the parser cannot read
// is ErrUnparsable only if its leading keywords make it a tracked DDL
// (CREATE/ALTER/DROP TABLE|DATABASE|SCHEMA|INDEX, RENAME TABLE,
// TRUNCATE); anything else unreadable (triggers, events, ...) is ignored.
//
// Known gaps: MariaDB system-versioned tables (WITH SYSTEM VERSIONING is
// ErrUnparsable; their hidden row_start/row_end columns are not modelled);
// column compression (MariaDB COMPRESSED) is dropped from the model
// although such columns have their own binlog types.
//
// Not supported, hence ErrUnparsable: CHAR ... BYTE, collations outside
// the registered MySQL/MariaDB set (parsercharsets.go), and any other
// syntax TiDB does not know.
package schema
