package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
)

// tablePlan is how one source table version is stored in Postgres.
type tablePlan struct {
	Source       *core.Table
	Schema, Name string       // target schema and table, unquoted
	Columns      []columnPlan // one per source column, in source order
	// Key holds the indexes into Columns of the row key: the primary key,
	// else the first unique key whose columns are all NOT NULL; nil when
	// there is none.
	Key []int
	// FullRow is set for a table without a key under KeylessFullRow: rows
	// are matched on all their columns.
	FullRow bool
}

// columnPlan is how one source column is stored and encoded.
type columnPlan struct {
	Name   string // target column name: the source name, exact case
	PGType string // the Postgres type as format_type prints it, e.g. "numeric(20,0)"

	kind     core.Kind // the value kind the source column carries
	enc      encoding
	bitWidth int // BIT(n): n
	pol      ValuePolicies
	database string // source database and table, for errors
	table    string
}

// encoding is how appendCopy writes a column's values.
type encoding uint8

const (
	encInt encoding = iota + 1
	encUint
	encBool
	encFloat32
	encFloat64
	encDecimal
	encBit
	encYear
	encDate
	encDateTime
	encTimestamp
	encTime
	encText // string, enum: text with the NUL policy
	encBytea
	encSet
	encJSON
	encVector
)

// keylessError refuses a table without a usable key under KeylessRefuse.
// The caller raises it at the table's first row.
type keylessError struct {
	Database, Table string
}

func (e *keylessError) Error() string {
	return fmt.Sprintf("postgres sink: table %s.%s has no primary key and no unique key over NOT NULL columns, "+
		"so its rows cannot be matched for updates and deletes. Fix it in one of two ways: "+
		"add a PRIMARY KEY (or a UNIQUE key over NOT NULL columns) to the source table, e.g. "+
		"ALTER TABLE %s.%s ADD PRIMARY KEY (...); "+
		"or set the pipeline's keyless policy to full_row (postgres sink setting keyless_tables: full_row), "+
		"which matches rows on all their columns, one statement per row change: correct but slow",
		e.Database, e.Table, mysqlIdent(e.Database), mysqlIdent(e.Table))
}

func mysqlIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// quoteIdent quotes a Postgres identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// ident returns "schema"."table".
func (p *tablePlan) ident() string { return quoteIdent(p.Schema) + "." + quoteIdent(p.Name) }

// targetSchema is the Postgres schema of a source database.
func targetSchema(cfg *Config, database string) string {
	ts := cfg.TargetSchema
	if ts == "" {
		ts = "{database}"
	}
	return strings.ReplaceAll(ts, "{database}", database)
}

// planTable plans how t is stored. It fails for a column type it cannot
// map and, with a *keylessError, for a table without a key under
// KeylessRefuse.
func planTable(cfg *Config, t *core.Table) (*tablePlan, error) {
	p, err := planTableKeyless(cfg, t)
	if err != nil {
		return nil, err
	}
	if p.Key == nil && !p.FullRow {
		return p, &keylessError{Database: t.Schema, Table: t.Name}
	}
	return p, nil
}

// planTableKeyless is planTable without the keyless refusal: a table
// without a key gets a plan with a nil Key (and FullRow false).
func planTableKeyless(cfg *Config, t *core.Table) (*tablePlan, error) {
	p := &tablePlan{
		Source:  t,
		Schema:  targetSchema(cfg, t.Schema),
		Name:    t.Name,
		Columns: make([]columnPlan, len(t.Columns)),
	}
	for i := range t.Columns {
		c, err := planColumn(cfg, t, &t.Columns[i])
		if err != nil {
			return nil, err
		}
		p.Columns[i] = c
	}
	p.Key = tableKey(t)
	if p.Key == nil && cfg.Keyless == KeylessFullRow {
		p.FullRow = true
	}
	return p, nil
}

// tableKey returns the column indexes of the primary key, else of the
// first unique key whose columns are all NOT NULL, else nil.
func tableKey(t *core.Table) []int {
	idx := func(k *core.Key, requireNotNull bool) []int {
		if k == nil || len(k.Columns) == 0 {
			return nil
		}
		out := make([]int, 0, len(k.Columns))
		for _, kc := range k.Columns {
			i := t.ColumnIndex(kc.Name)
			if i < 0 || (requireNotNull && t.Columns[i].Nullable) {
				return nil
			}
			out = append(out, i)
		}
		return out
	}
	if k := idx(t.PrimaryKey, false); k != nil {
		return k
	}
	for i := range t.UniqueKeys {
		if k := idx(&t.UniqueKeys[i], true); k != nil {
			return k
		}
	}
	return nil
}

func planColumn(cfg *Config, t *core.Table, col *core.Column) (columnPlan, error) {
	c := columnPlan{
		Name:     col.Name,
		pol:      cfg.valuePoliciesFor(t.Schema, t.Name, col.Name),
		database: t.Schema,
		table:    t.Name,
	}
	pgType, kind, enc, err := mapType(cfg, &col.Type)
	if err != nil {
		return c, fmt.Errorf("postgres sink: table %s.%s column %s: %w", t.Schema, t.Name, col.Name, err)
	}
	c.PGType, c.kind, c.enc = pgType, kind, enc
	if enc == encBit {
		c.bitWidth = bitWidth(&col.Type)
	}
	return c, nil
}

func bitWidth(ct *core.ColumnType) int {
	if ct.Length <= 0 {
		return 1
	}
	return ct.Length
}

// isSpatial reports MySQL's spatial type names.
func isSpatial(name string) bool {
	switch name {
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
		"geometrycollection", "geomcollection":
		return true
	}
	return false
}

// mapType maps a MySQL column type to the Postgres type (spelled as
// format_type prints it), the value kind it carries and its encoding.
// docs/postgres-types.md documents the mapping.
func mapType(cfg *Config, ct *core.ColumnType) (pgType string, kind core.Kind, enc encoding, err error) {
	if ct.JSON {
		// MySQL's JSON, MariaDB's (a LONGTEXT with CHECK (json_valid)),
		// or any text column checked the same way: the source's values
		// are JSON (core.KindJSON), whatever the type's Name.
		return "jsonb", core.KindJSON, encJSON, nil
	}
	intKind := func() (core.Kind, encoding) {
		if ct.Unsigned {
			return core.KindUint, encUint
		}
		return core.KindInt, encInt
	}
	switch ct.Name {
	case "tinyint":
		kind, enc = intKind()
		if cfg.TinyInt1AsBoolean && ct.Length == 1 {
			return "boolean", kind, encBool, nil
		}
		return "smallint", kind, enc, nil
	case "smallint":
		kind, enc = intKind()
		if ct.Unsigned {
			return "integer", kind, enc, nil
		}
		return "smallint", kind, enc, nil
	case "mediumint":
		kind, enc = intKind()
		return "integer", kind, enc, nil
	case "int":
		kind, enc = intKind()
		if ct.Unsigned {
			return "bigint", kind, enc, nil
		}
		return "integer", kind, enc, nil
	case "bigint":
		kind, enc = intKind()
		if ct.Unsigned {
			return "numeric(20,0)", kind, enc, nil
		}
		return "bigint", kind, enc, nil
	case "decimal":
		p, s := ct.Precision, ct.Scale
		if p <= 0 {
			p = 10 // MySQL's DECIMAL without a precision is DECIMAL(10,0)
		}
		return "numeric(" + strconv.Itoa(p) + "," + strconv.Itoa(s) + ")", core.KindDecimal, encDecimal, nil
	case "float":
		return "real", core.KindFloat32, encFloat32, nil
	case "double":
		return "double precision", core.KindFloat64, encFloat64, nil
	case "bit":
		return "bit varying(" + strconv.Itoa(bitWidth(ct)) + ")", core.KindBit, encBit, nil
	case "year":
		return "smallint", core.KindYear, encYear, nil
	case "date":
		return "date", core.KindDate, encDate, nil
	case "datetime":
		return "timestamp(" + strconv.Itoa(fsp(ct)) + ") without time zone", core.KindDateTime, encDateTime, nil
	case "timestamp":
		return "timestamp(" + strconv.Itoa(fsp(ct)) + ") with time zone", core.KindTimestamp, encTimestamp, nil
	case "time":
		return "interval(" + strconv.Itoa(fsp(ct)) + ")", core.KindTime, encTime, nil
	case "char", "varchar":
		if ct.Length <= 0 {
			return "text", core.KindString, encText, nil
		}
		return "character varying(" + strconv.Itoa(ct.Length) + ")", core.KindString, encText, nil
	case "tinytext", "text", "mediumtext", "longtext":
		return "text", core.KindString, encText, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return "bytea", core.KindBytes, encBytea, nil
	case "enum":
		return "text", core.KindEnum, encText, nil
	case "set":
		return "text[]", core.KindSet, encSet, nil
	case "json":
		return "jsonb", core.KindJSON, encJSON, nil
	case "vector":
		return "real[]", core.KindVector, encVector, nil
	}
	if isSpatial(ct.Name) {
		return "bytea", core.KindGeometry, encBytea, nil
	}
	return "", 0, 0, fmt.Errorf("MySQL type %q has no Postgres mapping", ct.Name)
}

func fsp(ct *core.ColumnType) int {
	if ct.FSP < 0 || ct.FSP > 6 {
		return 6
	}
	return ct.FSP
}
