package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seed5aa6e046/syncer/core"
	"github.com/seed5aa6e046/syncer/test/harness"
)

// openTarget connects to the demo PostgreSQL with the session time zone
// UTC.
func openTarget(ctx context.Context, pg *harness.Postgres) (*pgx.Conn, error) {
	conn, err := pg.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SET TIME ZONE 'UTC'"); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("PostgreSQL: SET TIME ZONE: %w", err)
	}
	return conn, nil
}

// binlogPos is a position in the source's binary log.
type binlogPos struct {
	File string
	Pos  int64
}

func (p binlogPos) String() string { return fmt.Sprintf("%s:%d", p.File, p.Pos) }

// atLeast reports whether p is at or after q.
func (p binlogPos) atLeast(q binlogPos) bool {
	return !(core.Position{File: p.File, Pos: uint64(p.Pos)}).Less(core.Position{File: q.File, Pos: uint64(q.Pos)})
}

// masterStatus returns SHOW MASTER STATUS's file and position.
func masterStatus(ctx context.Context, src *sql.Conn) (binlogPos, error) {
	rows, err := src.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return binlogPos{}, fmt.Errorf("MariaDB: SHOW MASTER STATUS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return binlogPos{}, err
	}
	if !rows.Next() {
		return binlogPos{}, errors.New("MariaDB: SHOW MASTER STATUS returned no row: is the binary log on?")
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return binlogPos{}, err
	}
	pos, err := strconv.ParseInt(string(vals[1]), 10, 64)
	if err != nil {
		return binlogPos{}, fmt.Errorf("MariaDB: SHOW MASTER STATUS position %q: %w", vals[1], err)
	}
	return binlogPos{File: string(vals[0]), Pos: pos}, rows.Err()
}

// checkpoint returns the pipeline's row of _syncer.checkpoints; ok is
// false while there is none (or no table yet).
func checkpoint(ctx context.Context, tgt *pgx.Conn, pipeline string) (binlogPos, bool, error) {
	p, ok, err := harness.SinkCheckpoint(ctx, tgt, pipeline)
	if err == nil && ok {
		// Not caught up while the initial snapshot still copies.
		var done bool
		if done, err = harness.CopyDone(p); !done {
			ok = false
		}
	}
	return binlogPos{File: p.File, Pos: int64(p.Pos)}, ok, err
}

// waitCaughtUp waits until the pipeline's checkpoint reaches the source's
// current binlog position.
func waitCaughtUp(ctx context.Context, src *sql.Conn, tgt *pgx.Conn, pipeline string, timeout time.Duration,
	proc *syncerProc, out *console) error {
	want, err := masterStatus(ctx, src)
	if err != nil {
		return err
	}
	out.printf("   source (SHOW MASTER STATUS) is at %s\n", want)
	start := time.Now()
	nextReport := start.Add(2 * time.Second)
	for {
		cp, ok, err := checkpoint(ctx, tgt, pipeline)
		if err != nil {
			return err
		}
		if ok && cp.atLeast(want) {
			out.printf("   caught up in %.1fs: checkpoint of pipeline %q in _syncer.checkpoints is %s\n",
				time.Since(start).Seconds(), pipeline, cp)
			return nil
		}
		have := "none yet"
		if ok {
			have = cp.String()
		}
		if err := proc.exited(); err != nil {
			return fmt.Errorf("waiting for the target to catch up (checkpoint %s, source %s): %w", have, want, err)
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("the target did not catch up within %s: the checkpoint of pipeline %q in _syncer.checkpoints is %s, "+
				"the source is at %s; syncer's last lines:\n%s", timeout, pipeline, have, want, proc.lastLines())
		}
		if time.Now().After(nextReport) {
			out.printf("   %4.1fs  checkpoint %s, source %s\n", time.Since(start).Seconds(), have, want)
			nextReport = nextReport.Add(2 * time.Second)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// kind is how a column's values are read and rendered on both sides.
type kind int

const (
	kText kind = iota
	kInt
	kDecimal
	kFloat
	kDateTime  // DATETIME: no time zone
	kTimestamp // TIMESTAMP: an instant, rendered in UTC
	kJSON
	kSet
	kBytes
)

// column is one source column and the matching target column.
type column struct {
	Name       string
	Kind       kind
	Scale      int    // kDecimal
	SourceType string // COLUMN_TYPE, e.g. "decimal(10,2)"
	TargetType string // format_type, e.g. "numeric(10,2)"; "" when missing
	TargetUDT  string // udt_name, e.g. "numeric", "_text", "bool"
}

// sourceColumns returns the columns of demo.<table> in MariaDB and its
// primary key.
func sourceColumns(ctx context.Context, src *sql.Conn, table string) ([]column, []string, error) {
	rows, err := src.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(NUMERIC_SCALE, 0), COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'demo' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, table)
	if err != nil {
		return nil, nil, fmt.Errorf("MariaDB: columns of demo.%s: %w", table, err)
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		var dataType, key string
		if err := rows.Scan(&c.Name, &dataType, &c.SourceType, &c.Scale, &key); err != nil {
			return nil, nil, err
		}
		switch dataType {
		case "tinyint", "smallint", "mediumint", "int", "bigint", "year":
			c.Kind = kInt
		case "decimal":
			c.Kind = kDecimal
		case "float", "double":
			c.Kind = kFloat
		case "datetime":
			c.Kind = kDateTime
		case "timestamp":
			c.Kind = kTimestamp
		case "json":
			c.Kind = kJSON
		case "set":
			c.Kind = kSet
		case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
			c.Kind = kBytes
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// MariaDB's JSON is LONGTEXT with a CHECK (json_valid(`col`)).
	crows, err := src.QueryContext(ctx, `SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = 'demo' AND TABLE_NAME = ?`, table)
	if err != nil {
		return nil, nil, fmt.Errorf("MariaDB: check constraints of demo.%s: %w", table, err)
	}
	defer crows.Close()
	for crows.Next() {
		var clause string
		if err := crows.Scan(&clause); err != nil {
			return nil, nil, err
		}
		for i := range cols {
			if strings.EqualFold(clause, "json_valid("+mysqlIdent(cols[i].Name)+")") {
				cols[i].Kind = kJSON
			}
		}
	}
	if err := crows.Err(); err != nil {
		return nil, nil, err
	}
	krows, err := src.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = 'demo' AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION`, table)
	if err != nil {
		return nil, nil, fmt.Errorf("MariaDB: primary key of demo.%s: %w", table, err)
	}
	defer krows.Close()
	var key []string
	for krows.Next() {
		var k string
		if err := krows.Scan(&k); err != nil {
			return nil, nil, err
		}
		key = append(key, k)
	}
	return cols, key, krows.Err()
}

// targetColumns fills in the target types and returns the target's
// columns that the source does not have.
func targetColumns(ctx context.Context, tgt *pgx.Conn, table string, cols []column) (extra []string, found bool, err error) {
	rows, err := tgt.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_type t ON t.oid = a.atttypid
		WHERE n.nspname = 'demo' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, table)
	if err != nil {
		return nil, false, fmt.Errorf("PostgreSQL: columns of demo.%s: %w", table, err)
	}
	defer rows.Close()
	byName := map[string]int{}
	for i, c := range cols {
		byName[c.Name] = i
	}
	for rows.Next() {
		found = true
		var name, typ, udt string
		if err := rows.Scan(&name, &typ, &udt); err != nil {
			return nil, false, err
		}
		if i, ok := byName[name]; ok {
			cols[i].TargetType, cols[i].TargetUDT = typ, udt
			if udt == "json" || udt == "jsonb" {
				// MariaDB's JSON is LONGTEXT with a json_valid check.
				cols[i].Kind = kJSON
			}
		} else {
			extra = append(extra, name)
		}
	}
	return extra, found, rows.Err()
}

func mysqlIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func pgIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// sourceExpr is the MariaDB select expression of c (session time zone UTC).
func sourceExpr(c column) string {
	id := mysqlIdent(c.Name)
	switch c.Kind {
	case kDateTime, kTimestamp:
		return "DATE_FORMAT(" + id + ", '%Y-%m-%d %H:%i:%s.%f')"
	case kBytes:
		return "LOWER(HEX(" + id + "))"
	}
	return id
}

// targetExpr is the PostgreSQL select expression of c, as text.
func targetExpr(c column) string {
	id := pgIdent(c.Name)
	switch {
	case c.Kind == kTimestamp && c.TargetUDT == "timestamptz":
		return "to_char(" + id + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
	case (c.Kind == kDateTime || c.Kind == kTimestamp) && (c.TargetUDT == "timestamp" || c.TargetUDT == "timestamptz"):
		return "to_char(" + id + ", 'YYYY-MM-DD HH24:MI:SS.US')"
	case c.TargetUDT == "bytea":
		return "encode(" + id + ", 'hex')"
	case c.TargetUDT == "bool":
		return "CASE WHEN " + id + " THEN '1' ELSE '0' END"
	case strings.HasPrefix(c.TargetUDT, "_"): // an array, e.g. SET as text[]
		return "array_to_json(" + id + ")::text"
	}
	return id + "::text"
}

// canonical renders one value of c read as text from either side.
func canonical(c column, v *string, target bool) string {
	if v == nil {
		return "NULL"
	}
	s := *v
	switch c.Kind {
	case kInt:
		if n, ok := new(big.Int).SetString(s, 10); ok {
			return n.String()
		}
	case kDecimal:
		if r, ok := new(big.Rat).SetString(s); ok {
			return r.FloatString(c.Scale)
		}
	case kFloat:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	case kDateTime, kTimestamp:
		if t, err := time.Parse("2006-01-02 15:04:05.999999", s); err == nil {
			return t.Format("2006-01-02 15:04:05.000000")
		}
	case kJSON:
		if j, err := canonicalJSON(s); err == nil {
			return j
		}
	case kSet:
		var labels []string
		if target && strings.HasPrefix(c.TargetUDT, "_") {
			if err := json.Unmarshal([]byte(s), &labels); err != nil {
				return "unparsable " + strconv.Quote(s)
			}
		} else if s != "" {
			labels = strings.Split(s, ",")
		}
		sort.Strings(labels)
		return "{" + strings.Join(labels, ",") + "}"
	case kBytes:
		return strings.ToLower(s)
	}
	return strconv.Quote(s)
}

// canonicalJSON parses a JSON text and prints it with sorted keys and
// numbers as exact rationals.
func canonicalJSON(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var norm func(any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			// 1.50, 1.5 and 15e-1 are one number: print it exactly, in
			// plain decimal with as many digits after the point as it
			// needs.
			if r, ok := new(big.Rat).SetString(string(x)); ok {
				digits, t := 0, new(big.Rat).Set(r)
				for ten := big.NewRat(10, 1); !t.IsInt() && digits < 1100; digits++ {
					t.Mul(t, ten)
				}
				return json.Number(r.FloatString(digits))
			}
		case map[string]any:
			for k, e := range x {
				x[k] = norm(e)
			}
		case []any:
			for i, e := range x {
				x[i] = norm(e)
			}
		}
		return v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(norm(v)); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// tableResult is one table's comparison.
type tableResult struct {
	Table               string
	SourceRows, TgtRows int
	SourceSum, TgtSum   string
	Note                string // why it differs
}

func (r tableResult) ok() bool { return r.Note == "" }

// compareAll compares every table of demo and prints the table; same is
// false when any differs.
func compareAll(ctx context.Context, src *sql.Conn, tgt *pgx.Conn, out *console) (same bool, err error) {
	var tables []string
	rows, err := src.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'demo' ORDER BY TABLE_NAME")
	if err != nil {
		return false, fmt.Errorf("MariaDB: tables of demo: %w", err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return false, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	out.printf("   %-12s %11s %11s  %-32s  %-32s  %s\n", "table", "source rows", "target rows", "source checksum (md5)", "target checksum (md5)", "")
	same = true
	for _, t := range tables {
		r, err := compareTable(ctx, src, tgt, t)
		if err != nil {
			return false, err
		}
		verdict := "ok"
		if !r.ok() {
			verdict, same = "DIFFERENT", false
		}
		out.printf("   %-12s %11d %11d  %-32s  %-32s  %s\n", r.Table, r.SourceRows, r.TgtRows, r.SourceSum, r.TgtSum, verdict)
		if !r.ok() {
			out.printf("      %s\n", strings.ReplaceAll(r.Note, "\n", "\n      "))
		}
	}
	return same, nil
}

// compareTable reads demo.<table> on both sides in primary-key order and
// compares the canonical renderings.
func compareTable(ctx context.Context, src *sql.Conn, tgt *pgx.Conn, table string) (tableResult, error) {
	r := tableResult{Table: table, SourceSum: "-", TgtSum: "-"}
	cols, key, err := sourceColumns(ctx, src, table)
	if err != nil {
		return r, err
	}
	extra, found, err := targetColumns(ctx, tgt, table, cols)
	if err != nil {
		return r, err
	}
	var missing []string
	for _, c := range cols {
		if c.TargetType == "" {
			missing = append(missing, c.Name)
		}
	}
	srcRows, err := readSource(ctx, src, table, cols, key)
	if err != nil {
		return r, err
	}
	r.SourceRows, r.SourceSum = len(srcRows), checksum(srcRows)
	switch {
	case !found:
		r.Note = fmt.Sprintf("PostgreSQL has no table \"demo\".%q", table)
		return r, nil
	case len(missing) > 0 || len(extra) > 0:
		r.Note = fmt.Sprintf("the columns differ: missing in PostgreSQL %v, only in PostgreSQL %v", missing, extra)
		var n int
		if err := tgt.QueryRow(ctx, "SELECT count(*) FROM demo."+pgIdent(table)).Scan(&n); err == nil {
			r.TgtRows = n
		}
		return r, nil
	}
	tgtRows, err := readTarget(ctx, tgt, table, cols, key)
	if err != nil {
		return r, err
	}
	r.TgtRows, r.TgtSum = len(tgtRows), checksum(tgtRows)
	if r.SourceSum != r.TgtSum || r.SourceRows != r.TgtRows {
		r.Note = firstDifference(cols, srcRows, tgtRows)
	}
	return r, nil
}

func checksum(rows []string) string {
	h := md5.New()
	for _, row := range rows {
		h.Write([]byte(row))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func render(cols []column, vals []*string, target bool) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = canonical(c, vals[i], target)
	}
	return strings.Join(parts, "\t")
}

func readSource(ctx context.Context, src *sql.Conn, table string, cols []column, key []string) ([]string, error) {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = sourceExpr(c)
	}
	order := make([]string, len(key))
	for i, k := range key {
		order[i] = "t." + mysqlIdent(k)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM demo." + mysqlIdent(table) + " AS t"
	if len(order) > 0 {
		q += " ORDER BY " + strings.Join(order, ", ")
	}
	rows, err := src.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("MariaDB: %s: %w", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		sv := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				sv[i] = &v.String
			}
		}
		out = append(out, render(cols, sv, false))
	}
	if len(order) == 0 {
		sort.Strings(out)
	}
	return out, rows.Err()
}

func readTarget(ctx context.Context, tgt *pgx.Conn, table string, cols []column, key []string) ([]string, error) {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = targetExpr(c)
	}
	order := make([]string, len(key))
	for i, k := range key {
		// Qualified: an output column of the same name (cast to text)
		// would otherwise order the rows as text.
		order[i] = "t." + pgIdent(k)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM demo." + pgIdent(table) + " AS t"
	if len(order) > 0 {
		q += " ORDER BY " + strings.Join(order, ", ")
	}
	rows, err := tgt.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: %s: %w", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("PostgreSQL: %s: %w", q, err)
		}
		out = append(out, render(cols, vals, true))
	}
	if len(order) == 0 {
		sort.Strings(out)
	}
	return out, rows.Err()
}

// firstDifference describes where the renderings first part.
func firstDifference(cols []column, src, tgt []string) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	for i := 0; i < len(src) || i < len(tgt); i++ {
		var s, t string
		if i < len(src) {
			s = src[i]
		}
		if i < len(tgt) {
			t = tgt[i]
		}
		if s == t {
			continue
		}
		return fmt.Sprintf("first difference at row %d (primary-key order), columns %s:\n  source %s\n  target %s",
			i+1, strings.Join(names, ", "), orNone(s), orNone(t))
	}
	return "the checksums differ"
}

func orNone(s string) string {
	if s == "" {
		return "(no row)"
	}
	return s
}
