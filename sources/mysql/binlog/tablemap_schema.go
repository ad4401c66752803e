package binlog

import "fmt"

// ColumnSchema is what a schema tracker knows of one column that a
// TABLE_MAP written with binlog_row_metadata=MINIMAL or NO_LOG may lack: its
// name, signedness, character set and ENUM/SET labels.
type ColumnSchema struct {
	Name string
	// Unsigned applies to numeric columns.
	Unsigned bool
	// Charset applies to character, ENUM and SET columns; CharsetUnknown
	// leaves the column as the TABLE_MAP has it.
	Charset Charset
	// EnumValues / SetValues are the labels of an ENUM / SET column.
	EnumValues []string
	SetValues  []string
}

// WithSchema returns a copy of t whose columns are completed from cols, one
// entry per column in table order: a column takes the name, signedness,
// charset and ENUM/SET labels of its entry wherever the TABLE_MAP itself
// did not carry them. What the TABLE_MAP carries is kept, since it is the
// truth for the rows that follow it; a caller checks first that the two
// agree (the schema package's Reconcile). Row values decoded through the
// copy use the completed columns, so an unsigned INT reads as unsigned and
// an ENUM as its label even without FULL metadata.
//
// The copy shares t's bytes; t is not changed. It is an error for cols to
// have another length than t's column count.
func (t *TableMapEvent) WithSchema(cols []ColumnSchema) (*TableMapEvent, error) {
	if len(cols) != len(t.columns) {
		return nil, fmt.Errorf("table %s.%s: the TABLE_MAP has %d columns, the schema %d", t.Schema, t.Table, len(t.columns), len(cols))
	}
	c := *t
	c.columns = make([]Column, len(t.columns))
	copy(c.columns, t.columns)
	for i := range c.columns {
		col, s := &c.columns[i], &cols[i]
		if col.Name == "" {
			col.Name = s.Name
		}
		if !col.HasSignedness && isNumericType(col.RealType) {
			col.Unsigned, col.HasSignedness = s.Unsigned, true
		}
		if col.Charset == CharsetUnknown && s.Charset != CharsetUnknown &&
			(isCharacterType(col.RealType, t.decodedFor) || isEnumOrSet(col.RealType)) {
			col.Charset = s.Charset
		}
		switch col.RealType {
		case TypeEnum:
			if col.EnumValues == nil && s.EnumValues != nil {
				col.EnumValues, col.labelsUTF8 = s.EnumValues, true
			}
		case TypeSet:
			if col.SetValues == nil && s.SetValues != nil {
				col.SetValues, col.labelsUTF8 = s.SetValues, true
			}
		}
		if col.op != opNoMetadata {
			col.op = planValue(col)
		}
	}
	return &c, nil
}

// CharsetByName returns the charset a server names name ("utf8" is
// utf8mb3), CharsetUnknown for a name this package does not know.
func CharsetByName(name string) Charset {
	if name == "utf8" {
		return CharsetUTF8MB3
	}
	for cs := CharsetBinary; cs < charsetCount; cs++ {
		if charsetNames[cs] == name {
			return cs
		}
	}
	return CharsetUnknown
}
