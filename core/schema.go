package core

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Table is the definition of one source table at one moment: its ordered
// columns, keys and options. A Table is a value: code that changes a
// definition works on a Clone, so a version once handed out never changes.
type Table struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// Columns in table order, the order of values in a row event.
	Columns []Column `json:"columns"`
	// PrimaryKey is nil for a table without one.
	PrimaryKey *Key `json:"primary_key,omitempty"`
	// UniqueKeys are the UNIQUE indexes (not the primary key), in
	// definition order.
	UniqueKeys []Key `json:"unique_keys,omitempty"`
	// Charset and Collation are the table defaults, used by columns added
	// later without their own.
	Charset   string `json:"charset,omitempty"`
	Collation string `json:"collation,omitempty"`
	// Version numbers the definitions of this table: it starts at 1 and
	// grows by one each time the definition (Fingerprint) changes. It is
	// kept by the schema history, not computed from the definition.
	Version uint64 `json:"version"`
}

// Column is one column of a table.
type Column struct {
	Name string     `json:"name"`
	Type ColumnType `json:"type"`
	// Nullable is false for NOT NULL columns (and primary key columns).
	Nullable bool `json:"nullable"`
	// Default is the default value as SQL text (a quoted literal such as
	// 'abc', a number, NULL or an expression such as CURRENT_TIMESTAMP);
	// empty when the column has no DEFAULT clause.
	Default string `json:"default,omitempty"`
	// Generated is the expression of a generated column ("" otherwise);
	// Stored tells STORED from VIRTUAL.
	Generated string `json:"generated,omitempty"`
	Stored    bool   `json:"stored,omitempty"`
	// Invisible is MySQL 8.0.23+ INVISIBLE / MariaDB 10.3+ INVISIBLE.
	Invisible bool `json:"invisible,omitempty"`
	// AutoIncrement marks an AUTO_INCREMENT column.
	AutoIncrement bool `json:"auto_increment,omitempty"`
	// Comment is the column's COMMENT.
	Comment string `json:"comment,omitempty"`
}

// ColumnType is a MySQL column type with all its attributes.
type ColumnType struct {
	// Name is the type keyword in lower case, without attributes:
	// "tinyint", "int", "bigint", "decimal", "float", "double", "bit",
	// "char", "varchar", "binary", "varbinary", "tinytext", "text",
	// "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob",
	// "enum", "set", "date", "time", "datetime", "timestamp", "year",
	// "json", "geometry" (and the other spatial types), "vector"...
	// Synonyms are normalized (INTEGER is "int", BOOL is "tinyint" with
	// Length 1, DEC/NUMERIC/FIXED are "decimal", REAL is "double").
	Name string `json:"name"`
	// Length is the display width of integer types, the length of
	// CHAR/VARCHAR/BINARY/VARBINARY/BIT/VECTOR; 0 when not given.
	Length int `json:"length,omitempty"`
	// Precision and Scale of DECIMAL (and of FLOAT/DOUBLE when given).
	Precision int `json:"precision,omitempty"`
	Scale     int `json:"scale,omitempty"`
	// FSP is the fractional-seconds precision of TIME, DATETIME and
	// TIMESTAMP (0-6).
	FSP      int  `json:"fsp,omitempty"`
	Unsigned bool `json:"unsigned,omitempty"`
	Zerofill bool `json:"zerofill,omitempty"`
	// Charset and Collation of character columns (resolved: a column
	// without its own gets the table's), empty for others.
	Charset   string `json:"charset,omitempty"`
	Collation string `json:"collation,omitempty"`
	// Elems are the labels of ENUM and SET, in order (ENUM index i+1 and SET
	// bit i name Elems[i]).
	Elems []string `json:"elems,omitempty"`
	// SRID of a spatial column with an SRID attribute (MySQL 8).
	SRID uint32 `json:"srid,omitempty"`
	// JSON reports that the column holds JSON: MySQL's JSON type (Name
	// "json"), or MariaDB's JSON alias, a LONGTEXT with CHECK
	// (json_valid(column)). Omitted when false, so that definitions
	// without it keep their fingerprints.
	JSON bool `json:"json,omitempty"`
}

// Key is a primary key or a unique key.
type Key struct {
	// Name is the index name ("PRIMARY" for the primary key).
	Name string `json:"name"`
	// Columns are the key's columns in key order.
	Columns []KeyColumn `json:"columns"`
}

// KeyColumn is one column of a key, with its prefix length for a prefix
// index (0: the whole value).
type KeyColumn struct {
	Name   string `json:"name"`
	Prefix int    `json:"prefix,omitempty"`
}

// Clone returns a deep copy.
func (t *Table) Clone() *Table {
	c := *t
	c.Columns = make([]Column, len(t.Columns))
	for i, col := range t.Columns {
		col.Type.Elems = append([]string(nil), col.Type.Elems...)
		c.Columns[i] = col
	}
	if t.PrimaryKey != nil {
		pk := t.PrimaryKey.clone()
		c.PrimaryKey = &pk
	}
	c.UniqueKeys = make([]Key, len(t.UniqueKeys))
	for i, k := range t.UniqueKeys {
		c.UniqueKeys[i] = k.clone()
	}
	if len(c.UniqueKeys) == 0 {
		c.UniqueKeys = nil
	}
	return &c
}

func (k Key) clone() Key {
	k.Columns = append([]KeyColumn(nil), k.Columns...)
	return k
}

// ColumnIndex returns the position of the column named name, or -1. MySQL
// column names are case-insensitive.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// QualifiedName returns "schema.name".
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// Fingerprint is a stable hash of the definition (everything but Version):
// equal definitions have equal fingerprints across processes and releases
// of the same format, so a changed fingerprint means a new version.
func (t *Table) Fingerprint() string {
	c := *t
	c.Version = 0
	// encoding/json writes struct fields in declaration order: a stable
	// serialization as long as the types above keep their fields.
	b, err := json.Marshal(&c)
	if err != nil {
		panic("core: fingerprint: " + err.Error()) // plain data cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// SameDefinition reports whether t and o define the same table, versions
// aside.
func (t *Table) SameDefinition(o *Table) bool { return t.Fingerprint() == o.Fingerprint() }
