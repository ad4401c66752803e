package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/seed5aa6e046/syncer/core"
)

// targetColumn is a column of an existing target table.
type targetColumn struct {
	Name    string
	Type    string // format_type
	NotNull bool
}

// targetTable is what the target holds of a table.
type targetTable struct {
	OID     uint32
	Columns map[string]targetColumn // by exact name
	PKName  string                  // the primary key constraint, "" when none
	PK      []string                // its columns in key order
}

// readTarget reads schema.name from the catalog; nil when there is no
// such table.
func readTarget(ctx context.Context, tx pgx.Tx, schema, name string) (*targetTable, error) {
	var oid uint32
	err := tx.QueryRow(ctx, `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`, schema, name).Scan(&oid)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("postgres sink: read the definition of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	t := &targetTable{OID: oid, Columns: map[string]targetColumn{}}
	rows, err := tx.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
		WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, oid)
	if err != nil {
		return nil, fmt.Errorf("postgres sink: read the columns of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	for rows.Next() {
		var c targetColumn
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull); err != nil {
			rows.Close()
			return nil, err
		}
		t.Columns[c.Name] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres sink: read the columns of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	err = tx.QueryRow(ctx, `SELECT con.conname, ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[]
		FROM pg_constraint con WHERE con.conrelid = $1 AND con.contype = 'p'`, oid).Scan(&t.PKName, &t.PK)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("postgres sink: read the primary key of %s.%s: %w", quoteIdent(schema), quoteIdent(name), err)
	}
	return t, nil
}

// ensureSchema creates a target schema unless it exists.
func ensureSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return fmt.Errorf("postgres sink: look up schema %s: %w", quoteIdent(schema), err)
	}
	if exists {
		return nil
	}
	return execDDL(ctx, tx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema))
}

func execDDL(ctx context.Context, tx pgx.Tx, sql string) error {
	if _, err := tx.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres sink: %s: %w", sql, err)
	}
	return nil
}

// ensureTable creates the target table of p unless it exists, with p's
// key as its primary key; a table that exists already (made by an
// earlier run or by the user) is left as it is, but gets the source
// columns it lacks.
func ensureTable(ctx context.Context, tx pgx.Tx, cfg *Config, p *tablePlan) error {
	if err := ensureSchema(ctx, tx, p.Schema); err != nil {
		return err
	}
	t, err := readTarget(ctx, tx, p.Schema, p.Name)
	if err != nil {
		return err
	}
	if t == nil {
		return execDDL(ctx, tx, createTableSQL(p))
	}
	var adds []string
	for i := range p.Columns {
		c := &p.Columns[i]
		if _, ok := t.Columns[c.Name]; !ok {
			adds = append(adds, "ADD COLUMN IF NOT EXISTS "+quoteIdent(c.Name)+" "+c.PGType)
		}
	}
	if len(adds) == 0 {
		return nil
	}
	return execDDL(ctx, tx, "ALTER TABLE "+p.ident()+" "+strings.Join(adds, ", "))
}

func createTableSQL(p *tablePlan) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(p.ident())
	b.WriteString(" (")
	inKey := make(map[int]bool, len(p.Key))
	for _, k := range p.Key {
		inKey[k] = true
	}
	for i := range p.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(p.Columns[i].Name))
		b.WriteByte(' ')
		b.WriteString(p.Columns[i].PGType)
		if inKey[i] {
			b.WriteString(" NOT NULL")
		}
	}
	if len(p.Key) > 0 {
		b.WriteString(", PRIMARY KEY (")
		b.WriteString(p.keyList())
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String()
}

// keyList is the quoted key columns, comma-separated.
func (p *tablePlan) keyList() string {
	names := make([]string, len(p.Key))
	for i, k := range p.Key {
		names[i] = quoteIdent(p.Columns[k].Name)
	}
	return strings.Join(names, ", ")
}

// applySchemaChange applies a schema-change or truncate record to the
// target, inside tx.
func applySchemaChange(ctx context.Context, tx pgx.Tx, cfg *Config, r *core.Record) error {
	ch := r.Change
	if ch == nil {
		return fmt.Errorf("postgres sink: %s record without a schema change", r.Op)
	}
	switch ch.Kind {
	case core.CreateTable:
		p, err := planTableKeyless(cfg, ch.New)
		if err != nil {
			return err
		}
		return ensureTable(ctx, tx, cfg, p)
	}
	return fmt.Errorf("postgres sink: schema change %s: not implemented yet", ch.Kind)
}
