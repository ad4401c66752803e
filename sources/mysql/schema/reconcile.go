package schema

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// ErrSchemaMismatch is wrapped by the error Reconcile returns when a
// TABLE_MAP contradicts the tracked schema.
var ErrSchemaMismatch = errors.New("the binlog's table map contradicts the tracked schema")

// MismatchError lists how a TABLE_MAP and the tracked table differ.
type MismatchError struct {
	Table   string // schema.name
	Version uint64 // the tracked table's version
	Diffs   []string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("table %s: the binlog's TABLE_MAP and the tracked schema (version %d) differ: %s. "+
		"The schema history no longer matches what the server wrote: a DDL ran outside the binlog (sql_log_bin=0), "+
		"or the history was started from the wrong position. Syncer will not guess which columns the values belong to; "+
		"recover by re-reading the table's schema at a position where no transaction is open, or by a new snapshot",
		e.Table, e.Version, strings.Join(e.Diffs, "; "))
}

func (e *MismatchError) Unwrap() error { return ErrSchemaMismatch }

// Reconcile checks a TABLE_MAP against the tracked definition of its table.
// The TABLE_MAP is the truth for the rows that follow it: what it carries
// (always the column count and types; with binlog_row_metadata=MINIMAL
// signedness and charsets; with FULL also names and ENUM/SET labels) must
// agree with the tracked table, or the rows would be decoded against the
// wrong columns. It returns nil when they agree and a *MismatchError (which
// wraps ErrSchemaMismatch) listing every difference otherwise.
func Reconcile(tm *binlog.TableMapEvent, t *core.Table) error {
	cols := tm.Columns()
	var diffs []string
	if len(cols) != len(t.Columns) {
		diffs = append(diffs, fmt.Sprintf("the TABLE_MAP has %d columns, the tracked table %d", len(cols), len(t.Columns)))
	}
	for i := 0; i < min(len(cols), len(t.Columns)); i++ {
		if d := reconcileColumn(&cols[i], &t.Columns[i]); d != "" {
			diffs = append(diffs, fmt.Sprintf("column %d (%s): %s", i+1, t.Columns[i].Name, d))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return &MismatchError{Table: t.QualifiedName(), Version: t.Version, Diffs: diffs}
}

// reconcileColumn compares what the TABLE_MAP knows of one column with the
// tracked column and describes the first disagreement.
func reconcileColumn(c *binlog.Column, col *core.Column) string {
	if c.Name != "" && !strings.EqualFold(c.Name, col.Name) {
		return fmt.Sprintf("named %q in the TABLE_MAP", c.Name)
	}
	want := binlogTypes(col.Type.Name)
	real := c.RealType
	if real == 0 {
		real = c.Type
	}
	if want != nil && !slices.Contains(want, real) && !slices.Contains(want, c.Type) {
		return fmt.Sprintf("type %s in the TABLE_MAP, %s tracked", real, col.Type.Name)
	}
	if c.HasSignedness && isNumeric(col.Type.Name) && c.Unsigned != col.Type.Unsigned {
		return fmt.Sprintf("%s in the TABLE_MAP, %s tracked", signedness(c.Unsigned), signedness(col.Type.Unsigned))
	}
	if real == binlog.TypeNewDecimal && col.Type.Name == "decimal" && (c.Precision != col.Type.Precision || c.Scale != col.Type.Scale) {
		return fmt.Sprintf("DECIMAL(%d,%d) in the TABLE_MAP, DECIMAL(%d,%d) tracked", c.Precision, c.Scale, col.Type.Precision, col.Type.Scale)
	}
	labels := c.EnumValues
	if col.Type.Name == "set" {
		labels = c.SetValues
	}
	if len(labels) > 0 && (col.Type.Name == "enum" || col.Type.Name == "set") && !slices.Equal(utf8Labels(labels, c.Charset), col.Type.Elems) {
		return fmt.Sprintf("labels %q in the TABLE_MAP, %q tracked", labels, col.Type.Elems)
	}
	return ""
}

// utf8Labels returns a TABLE_MAP's ENUM or SET labels, which are in the
// column's charset, as UTF-8, the tracked labels' encoding; as they are
// when the charset has no converter.
func utf8Labels(labels []string, cs binlog.Charset) []string {
	if cs == binlog.CharsetUnknown {
		return labels
	}
	out := make([]string, len(labels))
	for i, l := range labels {
		b, ok := binlog.AppendUTF8(nil, []byte(l), cs)
		if !ok {
			return labels
		}
		out[i] = string(b)
	}
	return out
}

func signedness(unsigned bool) string {
	if unsigned {
		return "UNSIGNED"
	}
	return "signed"
}

func isNumeric(name string) bool {
	switch name {
	case "tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float", "double":
		return true
	}
	return false
}

// binlogTypes returns the TABLE_MAP type codes a column of the named type
// may be written with (older servers use the pre-5.6 temporal codes;
// MariaDB writes its JSON, a LONGTEXT alias, as a BLOB), or nil when the
// type is not known here and cannot be checked.
func binlogTypes(name string) []binlog.ColumnType {
	switch name {
	case "tinyint":
		return []binlog.ColumnType{binlog.TypeTiny}
	case "smallint":
		return []binlog.ColumnType{binlog.TypeShort}
	case "mediumint":
		return []binlog.ColumnType{binlog.TypeInt24}
	case "int":
		return []binlog.ColumnType{binlog.TypeLong}
	case "bigint":
		return []binlog.ColumnType{binlog.TypeLongLong}
	case "float":
		return []binlog.ColumnType{binlog.TypeFloat}
	case "double":
		return []binlog.ColumnType{binlog.TypeDouble}
	case "decimal":
		return []binlog.ColumnType{binlog.TypeNewDecimal, binlog.TypeDecimal}
	case "bit":
		return []binlog.ColumnType{binlog.TypeBit}
	case "char", "binary":
		return []binlog.ColumnType{binlog.TypeString, binlog.TypeVarchar, binlog.TypeVarString}
	case "varchar", "varbinary":
		return []binlog.ColumnType{binlog.TypeVarchar, binlog.TypeVarString, binlog.TypeMariaVarcharCompressed}
	case "tinytext", "text", "mediumtext", "longtext", "tinyblob", "blob", "mediumblob", "longblob":
		return []binlog.ColumnType{binlog.TypeBlob, binlog.TypeTinyBlob, binlog.TypeMediumBlob, binlog.TypeLongBlob, binlog.TypeMariaBlobCompressed}
	case "enum":
		return []binlog.ColumnType{binlog.TypeEnum}
	case "set":
		return []binlog.ColumnType{binlog.TypeSet}
	case "date":
		return []binlog.ColumnType{binlog.TypeDate, binlog.TypeNewDate}
	case "time":
		return []binlog.ColumnType{binlog.TypeTime2, binlog.TypeTime}
	case "datetime":
		return []binlog.ColumnType{binlog.TypeDateTime2, binlog.TypeDateTime}
	case "timestamp":
		return []binlog.ColumnType{binlog.TypeTimestamp2, binlog.TypeTimestamp}
	case "year":
		return []binlog.ColumnType{binlog.TypeYear}
	case "json":
		return []binlog.ColumnType{binlog.TypeJSON, binlog.TypeBlob}
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "geomcollection":
		return []binlog.ColumnType{binlog.TypeGeometry}
	case "vector":
		return []binlog.ColumnType{binlog.TypeVector}
	}
	return nil
}
