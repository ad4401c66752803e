package postgres

// # How a table is verified (syncer verify)
//
// VerifyTable opens a connection of its own (the sink need not be open:
// verify reads no checkpoint), reads the target table's columns from the
// catalog and starts one REPEATABLE READ transaction: every chunk and
// Finish see the same snapshot of the target, so rows the pipeline
// writes meanwhile cannot show up as differences halfway through. The
// source rows are staged in TEMP tables whose columns have the target
// columns' actual types (and collations), c0.. in source order, and are
// copied in (COPY FROM STDIN) encoded by the plan Apply uses, value
// policies included: Postgres then compares typed values, what the sink
// would have written against what the target holds.
//
// A keyed table's chunk is staged with _n, the row's index in the chunk,
//
//	CREATE TEMP TABLE verify_chunk (_n integer, c0 integer, c1 text, ...)
//
// and compared in one pass (GROUP BY _n, in case the target allows a key
// more than once):
//
//	SELECT count(*), count(*) FILTER (WHERE NOT _found), count(*) FILTER (WHERE _found AND NOT _same),
//		(array_agg(_n ORDER BY _n) FILTER (WHERE NOT _same))[1:$1]
//	FROM (SELECT _s._n, bool_or(_t.ctid IS NOT NULL) AS _found,
//		bool_or(_t.ctid IS NOT NULL AND _t."total" IS NOT DISTINCT FROM _s.c1 AND ...) AS _same
//		FROM pg_temp.verify_chunk AS _s LEFT JOIN "shop"."orders" AS _t ON _t."id" = _s.c0
//			AND _t."id" >= (SELECT min) AND _t."id" <= (SELECT max)
//		GROUP BY _s._n) AS _r
//
// (the range of the chunk's first key column lets Postgres read the
// target's key index for just that range: the source hands its rows over
// in key order). The rows listed are looked up once more to name the
// columns that differ (ARRAY[_t."total" IS DISTINCT FROM _s.c1, ...]),
// and the chunk's keys are appended to verify_keys. Finish lists the
// target rows whose key is not there:
//
//	SELECT count(*) OVER (), _t."id"::text FROM "shop"."orders" AS _t
//	WHERE NOT EXISTS (SELECT 1 FROM pg_temp.verify_keys AS _k WHERE _t."id" = _k.c0)
//	ORDER BY _t."id" LIMIT $1
//
// and, when the target has no unique index on the key columns, the
// surplus rows of keys it holds more than once.
//
// A keyless table's rows all go into verify_rows, and Finish compares
// the two multisets in one pass over each, counting every distinct row
// on both sides:
//
//	SELECT ... FROM (SELECT g0, g1, sum(_src), sum(_tgt) FROM (
//		SELECT c0 AS g0, c1 AS g1, 1 AS _src, 0 AS _tgt FROM pg_temp.verify_rows
//		UNION ALL SELECT _t."a", _t."b", 0, 1 FROM "s"."log" AS _t) AS _u
//		GROUP BY g0, g1 HAVING sum(_src) <> sum(_tgt)) AS _d
//
// (what EXCEPT ALL both ways would find, reading each table once).
//
// A target type without equality or ordering (json, point, xml...) is
// compared through a cast: json as jsonb, the others as their text.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed5aa6e046/syncer/core"
)

var _ core.Verifier = (*Sink)(nil)

// copyBatch is how much COPY text the row reader encodes ahead: enough
// for pgconn's 64 KiB messages, so memory stays bounded whatever the
// chunk's size.
const copyBatch = 64 << 10

// cmpForm is how a column's values are compared.
type cmpForm uint8

const (
	formAsIs  cmpForm = iota // the type has equality and ordering
	formJSONB                // json: as jsonb (json has no equality)
	formText                 // no equality or ordering: as text
)

// showForm is how a target value, read as text, is shown in a key.
type showForm uint8

const (
	showQuoted showForm = iota
	showBare            // numbers and booleans
	showBits            // bit strings: b'0101'
	showHex             // bytea, read as hex: 0x...
)

// verifyColumn is a target column as verify stages and compares it.
type verifyColumn struct {
	ident string // quoted target column name
	typ   string // the staging column's type: the target's, with its collation
	form  cmpForm
	show  showForm
}

// cmp returns expr in the form the column is compared in.
func (c *verifyColumn) cmp(expr string) string {
	switch c.form {
	case formJSONB:
		return "(" + expr + ")::jsonb"
	case formText:
		return "(" + expr + ")::text"
	}
	return expr
}

// text returns an expression reading expr, a value in the compared form,
// as text to show.
func (c *verifyColumn) text(expr string) string {
	if c.form == formAsIs && c.show == showHex {
		return "'0x' || encode(" + expr + ", 'hex')"
	}
	return "(" + expr + ")::text"
}

// tableVerifier compares one source table with its target.
type tableVerifier struct {
	cfg      *Config
	plan     *tablePlan
	prefix   string // "postgres sink: verify shop.orders: "
	maxDiffs int
	conn     *pgx.Conn
	tx       pgx.Tx
	// missing: the target table does not exist.
	missing bool
	cols    []verifyColumn // per plan column
	// unique: the target has a unique index on exactly the key columns,
	// so a key matches at most one target row.
	unique bool
	// The statements, built once.
	stage, compare, detail, keep, extra, dups, multiset string

	staged   int64 // rows staged (keyless)
	rd       rowReader
	finished bool
	closed   bool
	err      error // the first failure: the transaction is gone
}

// VerifyTable starts comparing source table t with its target table, on
// a connection and in a REPEATABLE READ transaction of its own (the Sink
// need not be open).
func (s *Sink) VerifyTable(ctx context.Context, t *core.Table, opts core.VerifyOptions) (core.TableVerifier, error) {
	if t == nil {
		return nil, errors.New("postgres sink: verify: no table definition")
	}
	v := &tableVerifier{cfg: s.cfg, prefix: "postgres sink: verify " + t.QualifiedName() + ": ", maxDiffs: max(opts.MaxDiffs, 0)}
	p, err := planTableKeyless(s.cfg, t)
	if err != nil {
		return nil, wrapErr(err, v.prefix, "")
	}
	v.plan = p
	if err := v.connect(ctx); err != nil {
		return nil, err
	}
	if err := v.prepare(ctx); err != nil {
		_ = v.Close(ctx)
		return nil, err
	}
	return v, nil
}

func (v *tableVerifier) connect(ctx context.Context) error {
	pc, err := pgx.ParseConfig(v.cfg.DSN)
	if err != nil {
		return fmt.Errorf("%sdsn: %w", v.prefix, err)
	}
	// The session Apply uses (UTC), so that values are read in and shown
	// as the sink's own session would.
	pc.RuntimeParams["timezone"] = "UTC"
	if _, ok := pc.RuntimeParams["application_name"]; !ok {
		pc.RuntimeParams["application_name"] = "syncer verify"
	}
	conn, err := pgx.ConnectConfig(ctx, pc)
	if err != nil {
		return fmt.Errorf("%sconnect to %s:%d database %q: %w; check the sink's dsn and that Postgres accepts connections from here",
			v.prefix, pc.Host, pc.Port, pc.Database, classify(ctx, err, true))
	}
	v.conn = conn
	return nil
}

// targetAttr is a target column as the catalog describes it.
type targetAttr struct {
	name, typ, collate, base, category string
}

// prepare reads the target's columns, checks them against the plan,
// decides how each is compared, and starts the transaction with its
// staging tables.
func (v *tableVerifier) prepare(ctx context.Context) error {
	p := v.plan
	var oid uint32
	err := v.conn.QueryRow(ctx, `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`, p.Schema, p.Name).Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		v.missing = true
		return nil
	}
	if err != nil {
		return v.fail(ctx, "look up the target table "+p.ident(), err)
	}
	attrs, err := v.readAttrs(ctx, oid)
	if err != nil {
		return err
	}
	if err := v.checkColumns(attrs); err != nil {
		return err
	}
	// Probed outside the transaction: a failed probe aborts nothing.
	forms := map[string]cmpForm{}
	v.cols = make([]verifyColumn, len(p.Columns))
	for i := range p.Columns {
		a := attrs[p.Columns[i].Name]
		form, ok := forms[a.typ]
		if !ok {
			if form, err = v.probe(ctx, a); err != nil {
				return err
			}
			forms[a.typ] = form
		}
		c := verifyColumn{ident: quoteIdent(a.name), typ: a.typ, form: form}
		if a.collate != "" {
			// Equality would follow the target's collation anyway (it wins
			// over the default), but the chunk's key range must be taken
			// in the order of the target's index.
			c.typ += " COLLATE " + a.collate
		}
		switch {
		case a.base == "bytea":
			c.show = showHex
		case a.category == "N" || a.category == "B":
			c.show = showBare
		case a.category == "V":
			c.show = showBits
		}
		v.cols[i] = c
	}
	v.tx, err = v.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return v.fail(ctx, "begin", err)
	}
	if len(p.Key) > 0 {
		if v.unique, err = hasKeyIndex(ctx, v.tx, p); err != nil {
			return v.fail(ctx, "look up the target's unique indexes", err)
		}
	}
	v.build()
	if _, err := v.tx.Exec(ctx, v.stage); err != nil {
		return v.fail(ctx, "create the staging tables", err)
	}
	return nil
}

// readAttrs reads the target table's columns by exact name.
func (v *tableVerifier) readAttrs(ctx context.Context, oid uint32) (map[string]targetAttr, error) {
	rows, err := v.conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod),
			CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
				THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) ELSE '' END,
			format_type(b.oid, NULL), b.typcategory::text
		FROM pg_attribute a
		JOIN pg_type t ON t.oid = a.atttypid
		JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, oid)
	if err != nil {
		return nil, v.fail(ctx, "read the columns of "+v.plan.ident(), err)
	}
	defer rows.Close()
	attrs := map[string]targetAttr{}
	for rows.Next() {
		var a targetAttr
		if err := rows.Scan(&a.name, &a.typ, &a.collate, &a.base, &a.category); err != nil {
			return nil, v.fail(ctx, "read the columns of "+v.plan.ident(), err)
		}
		attrs[a.name] = a
	}
	if err := rows.Err(); err != nil {
		return nil, v.fail(ctx, "read the columns of "+v.plan.ident(), err)
	}
	return attrs, nil
}

// checkColumns refuses a target whose columns are not the plan's: rows
// cannot be compared whole then.
func (v *tableVerifier) checkColumns(attrs map[string]targetAttr) error {
	p := v.plan
	var lacks []string
	planned := map[string]bool{}
	for i := range p.Columns {
		planned[p.Columns[i].Name] = true
		if _, ok := attrs[p.Columns[i].Name]; !ok {
			lacks = append(lacks, p.Columns[i].Name)
		}
	}
	var extra []string
	// Under drop_column: keep the target keeps the columns the source
	// dropped, on purpose: they are not the source's to compare.
	if v.cfg.Schema.DropColumn != DropColumnKeep {
		for name := range attrs {
			if !planned[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
	}
	var msgs []string
	if len(lacks) > 0 {
		msgs = append(msgs, fmt.Sprintf("the target table %s lacks the source's columns %s (the sink adds a missing column when it next writes a row of the table; until then the target does not hold their values)",
			p.ident(), strings.Join(lacks, ", ")))
	}
	if len(extra) > 0 {
		msgs = append(msgs, fmt.Sprintf("the target table %s has columns the source table lacks: %s (added to the target by someone else: drop them to compare the table, since verify compares whole rows)",
			p.ident(), strings.Join(extra, ", ")))
	}
	if len(msgs) > 0 {
		return errors.New(v.prefix + strings.Join(msgs, "; "))
	}
	return nil
}

// probe decides how values of a's type are compared: as they are when
// the type has equality and ordering (which IS NOT DISTINCT FROM, GROUP
// BY and ORDER BY need), else json as jsonb and the rest as text.
func (v *tableVerifier) probe(ctx context.Context, a targetAttr) (cmpForm, error) {
	_, err := v.conn.Exec(ctx, "SELECT _x FROM (VALUES (NULL::"+a.typ+")) AS _v(_x) WHERE _x IS NOT DISTINCT FROM _x GROUP BY _x ORDER BY _x")
	if err == nil {
		return formAsIs, nil
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return 0, v.fail(ctx, "check how to compare values of type "+a.typ, err)
	}
	if a.base == "json" {
		return formJSONB, nil
	}
	return formText, nil
}

// build writes the staging tables' and the comparison's statements.
func (v *tableVerifier) build() {
	p := v.plan
	target := p.ident()
	sc := func(alias string, i int) string { return alias + ".c" + strconv.Itoa(i) }
	tc := func(i int) string { return "_t." + v.cols[i].ident }
	typed := func(idx []int) string {
		parts := make([]string, len(idx))
		for n, i := range idx {
			parts[n] = "c" + strconv.Itoa(i) + " " + v.cols[i].typ
		}
		return strings.Join(parts, ", ")
	}
	all := make([]int, len(p.Columns))
	for i := range all {
		all[i] = i
	}
	if len(p.Key) == 0 {
		v.stage = "CREATE TEMP TABLE verify_rows (" + typed(all) + ")"
		g := make([]string, len(all))
		src := make([]string, len(all))
		tgt := make([]string, len(all))
		shown := make([]string, len(all))
		for i := range all {
			g[i] = "g" + strconv.Itoa(i)
			src[i] = v.cols[i].cmp(sc("_s", i)) + " AS " + g[i]
			tgt[i] = v.cols[i].cmp(tc(i))
			shown[i] = v.cols[i].text("_d." + g[i])
		}
		groups := strings.Join(g, ", ")
		v.multiset = "SELECT (sum(greatest(_d._src - _d._tgt, 0)) OVER ())::bigint, (sum(greatest(_d._tgt - _d._src, 0)) OVER ())::bigint, " +
			"_d._src - _d._tgt, " + strings.Join(shown, ", ") +
			" FROM (SELECT " + groups + ", sum(_src) AS _src, sum(_tgt) AS _tgt FROM (" +
			"SELECT " + strings.Join(src, ", ") + ", 1 AS _src, 0 AS _tgt FROM pg_temp.verify_rows AS _s" +
			" UNION ALL SELECT " + strings.Join(tgt, ", ") + ", 0, 1 FROM " + target + " AS _t) AS _u" +
			" GROUP BY " + groups + " HAVING sum(_src) <> sum(_tgt)) AS _d ORDER BY " + groups + " LIMIT $1"
		return
	}
	isKey := make([]bool, len(p.Columns))
	for _, k := range p.Key {
		isKey[k] = true
	}
	v.stage = "CREATE TEMP TABLE verify_chunk (_n integer, " + typed(all) + "); CREATE TEMP TABLE verify_keys (" + typed(p.Key) + ")"
	join := func(alias string) string {
		parts := make([]string, len(p.Key))
		for n, k := range p.Key {
			parts[n] = v.cols[k].cmp(tc(k)) + " = " + v.cols[k].cmp(sc(alias, k))
		}
		return strings.Join(parts, " AND ")
	}
	var same, differs []string
	for i := range p.Columns {
		if !isKey[i] {
			same = append(same, v.cols[i].cmp(tc(i))+" IS NOT DISTINCT FROM "+v.cols[i].cmp(sc("_s", i)))
			differs = append(differs, v.cols[i].cmp(tc(i))+" IS DISTINCT FROM "+v.cols[i].cmp(sc("_s", i)))
		}
	}
	sameAll := "true"
	if len(same) > 0 {
		sameAll = strings.Join(same, " AND ")
	}
	on := join("_s")
	if k := p.Key[0]; v.cols[k].form == formAsIs {
		// Bounds by ORDER BY, not min/max: not every ordered type has
		// min and max aggregates (bytea, bit varying).
		first := "c" + strconv.Itoa(k)
		on += " AND " + tc(k) + " >= (SELECT " + first + " FROM pg_temp.verify_chunk ORDER BY " + first + " NULLS LAST LIMIT 1)" +
			" AND " + tc(k) + " <= (SELECT " + first + " FROM pg_temp.verify_chunk ORDER BY " + first + " DESC NULLS LAST LIMIT 1)"
	}
	v.compare = "SELECT count(*), count(*) FILTER (WHERE NOT _r._found), count(*) FILTER (WHERE _r._found AND NOT _r._same), " +
		"(array_agg(_r._n ORDER BY _r._n) FILTER (WHERE NOT _r._same))[1:$1]" +
		" FROM (SELECT _s._n, bool_or(_t.ctid IS NOT NULL) AS _found, bool_or(_t.ctid IS NOT NULL AND " + sameAll + ") AS _same" +
		" FROM pg_temp.verify_chunk AS _s LEFT JOIN " + target + " AS _t ON " + on + " GROUP BY _s._n) AS _r"
	v.detail = "SELECT DISTINCT ON (_s._n) _s._n, _t.ctid IS NOT NULL, ARRAY[" + strings.Join(differs, ", ") + "]::boolean[]" +
		" FROM pg_temp.verify_chunk AS _s LEFT JOIN " + target + " AS _t ON " + on +
		" WHERE _s._n = ANY($1::integer[]) ORDER BY _s._n"
	keyCols := make([]string, len(p.Key))
	tkeys := make([]string, len(p.Key))
	shown := make([]string, len(p.Key))
	for n, k := range p.Key {
		keyCols[n] = "c" + strconv.Itoa(k)
		tkeys[n] = v.cols[k].cmp(tc(k))
		shown[n] = v.cols[k].text(tkeys[n])
	}
	v.keep = "INSERT INTO pg_temp.verify_keys SELECT " + strings.Join(keyCols, ", ") + " FROM pg_temp.verify_chunk"
	inKeys := "(SELECT 1 FROM pg_temp.verify_keys AS _k WHERE " + join("_k") + ")"
	order := strings.Join(tkeys, ", ")
	v.extra = "SELECT count(*) OVER (), 1::bigint, " + strings.Join(shown, ", ") + " FROM " + target + " AS _t WHERE NOT EXISTS " + inKeys +
		" ORDER BY " + order + " LIMIT $1"
	v.dups = "SELECT (sum(count(*) - 1) OVER ())::bigint, count(*) - 1, " + strings.Join(shown, ", ") + " FROM " + target + " AS _t WHERE EXISTS " + inKeys +
		" GROUP BY " + order + " HAVING count(*) > 1 ORDER BY " + order + " LIMIT $1"
}

// fail wraps err, met doing what, and makes the verifier unusable: the
// transaction is aborted (or the connection gone).
func (v *tableVerifier) fail(ctx context.Context, what string, err error) error {
	broken := v.conn == nil || v.conn.IsClosed()
	err = wrapErr(classify(ctx, err, broken), v.prefix+what+": ", serverDetail(err))
	if v.err == nil {
		v.err = err
	}
	return err
}

// usable returns why the verifier cannot go on, or nil.
func (v *tableVerifier) usable() error {
	switch {
	case v.closed:
		return errors.New(v.prefix + "the verifier is closed")
	case v.err != nil:
		return fmt.Errorf("%san earlier step failed, the comparison cannot go on: %w", v.prefix, v.err)
	}
	return nil
}

func (v *tableVerifier) targetMissing() error {
	return fmt.Errorf("%s%w: there is no table %s (the sink creates it when it writes the table's first row: has the pipeline run, with this target_schema?)",
		v.prefix, core.ErrTargetMissing, v.plan.ident())
}

// TargetCount counts the target table's rows in the verifier's snapshot.
func (v *tableVerifier) TargetCount(ctx context.Context) (int64, bool, error) {
	if err := v.usable(); err != nil {
		return 0, false, err
	}
	if v.missing {
		return 0, false, nil
	}
	var n int64
	if err := v.tx.QueryRow(ctx, "SELECT count(*) FROM "+v.plan.ident()).Scan(&n); err != nil {
		return 0, true, v.fail(ctx, "count the target's rows", err)
	}
	return n, true, nil
}

// Compare stages a chunk of source rows and, for a keyed table, compares
// it with the target.
func (v *tableVerifier) Compare(ctx context.Context, rows [][]core.Value) (core.ChunkResult, error) {
	var res core.ChunkResult
	if err := v.usable(); err != nil {
		return res, err
	}
	if v.finished {
		return res, errors.New(v.prefix + "Compare after Finish")
	}
	if v.missing {
		return res, v.targetMissing()
	}
	if len(rows) == 0 {
		return res, nil
	}
	for i, r := range rows {
		if len(r) != len(v.plan.Columns) {
			return res, fmt.Errorf("%ssource row %d of the chunk has %d values, the table %d columns", v.prefix, i, len(r), len(v.plan.Columns))
		}
	}
	keyed := len(v.plan.Key) > 0
	into := "pg_temp.verify_rows"
	if keyed {
		into = "pg_temp.verify_chunk"
		// In place: the table is the transaction's own.
		if _, err := v.tx.Exec(ctx, "TRUNCATE "+into); err != nil {
			return res, v.fail(ctx, "empty the staging table", err)
		}
	}
	if err := v.copyRows(ctx, into, rows, keyed); err != nil {
		return res, err
	}
	res.Rows = len(rows)
	if !keyed {
		v.staged += int64(len(rows))
		return res, nil
	}
	var n, missing, different int64
	var listed []int32
	if err := v.tx.QueryRow(ctx, v.compare, v.maxDiffs).Scan(&n, &missing, &different, &listed); err != nil {
		return res, v.fail(ctx, fmt.Sprintf("compare %d rows with the target", len(rows)), err)
	}
	res.Missing, res.Different = int(missing), int(different)
	res.Equal = res.Rows - res.Missing - res.Different
	if len(listed) > 0 {
		diffs, err := v.details(ctx, rows, listed)
		if err != nil {
			return res, err
		}
		res.Diffs = diffs
	}
	if _, err := v.tx.Exec(ctx, v.keep); err != nil {
		return res, v.fail(ctx, "keep the chunk's keys", err)
	}
	return res, nil
}

// details describes the listed rows of the chunk: missing, or different
// in which columns.
func (v *tableVerifier) details(ctx context.Context, rows [][]core.Value, listed []int32) ([]core.RowDiff, error) {
	p := v.plan
	var nonKey []string
	isKey := make([]bool, len(p.Columns))
	for _, k := range p.Key {
		isKey[k] = true
	}
	for i := range p.Columns {
		if !isKey[i] {
			nonKey = append(nonKey, p.Columns[i].Name)
		}
	}
	q, err := v.tx.Query(ctx, v.detail, listed)
	if err != nil {
		return nil, v.fail(ctx, "describe the rows that differ", err)
	}
	defer q.Close()
	var diffs []core.RowDiff
	for q.Next() {
		var n int32
		var found bool
		var differs []bool
		if err := q.Scan(&n, &found, &differs); err != nil {
			return nil, v.fail(ctx, "describe the rows that differ", err)
		}
		d := core.RowDiff{Kind: core.DiffMissing, Key: v.sourceKey(rows[n]), Count: 1}
		if found {
			d.Kind = core.DiffDifferent
			for i, b := range differs {
				if b && i < len(nonKey) {
					d.Columns = append(d.Columns, nonKey[i])
				}
			}
		}
		diffs = append(diffs, d)
	}
	if err := q.Err(); err != nil {
		return nil, v.fail(ctx, "describe the rows that differ", err)
	}
	return diffs, nil
}

// copyRows copies rows, encoded as Apply encodes them, into the staging
// table, numbered when numbered.
func (v *tableVerifier) copyRows(ctx context.Context, into string, rows [][]core.Value, numbered bool) error {
	rd := &v.rd
	rd.start(v.plan, rows, numbered)
	_, err := v.conn.PgConn().CopyFrom(ctx, rd, "COPY "+into+" FROM STDIN")
	encErr := rd.stop()
	if encErr != nil {
		if v.err == nil {
			v.err = encErr
		}
		return encErr
	}
	if err != nil {
		what := fmt.Sprintf("copy %d source rows into the staging table", len(rows))
		if n := copyErrLine(err); n >= 1 && n <= len(rows) {
			what += fmt.Sprintf(" (at source row %d of the chunk, key %s)", n-1, keyString(v.plan, rows[n-1]))
		}
		return v.fail(ctx, what, err)
	}
	return nil
}

// copyErrLine returns the line a COPY error names, from 1; 0 for none.
func copyErrLine(err error) int {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return 0
	}
	m := copyLineRE.FindStringSubmatch(pgErr.Where)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// rowReader encodes rows into COPY text as pgconn reads it, a batch at
// a time. pgconn reads from a goroutine of its own, which may outlive
// CopyFrom on a broken connection: mu and done keep it off the caller's
// rows once stop returned.
type rowReader struct {
	mu       sync.Mutex
	plan     *tablePlan
	rows     [][]core.Value
	numbered bool
	next     int
	buf      []byte
	off      int
	done     bool
	err      error // the encoding error that ended the copy
}

var errReaderStopped = errors.New("the comparison stopped")

func (r *rowReader) start(p *tablePlan, rows [][]core.Value, numbered bool) {
	r.mu.Lock()
	r.plan, r.rows, r.numbered = p, rows, numbered
	r.next, r.buf, r.off, r.done, r.err = 0, r.buf[:0], 0, false, nil
	r.mu.Unlock()
}

// stop ends the copy and returns its encoding error, if any.
func (r *rowReader) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done, r.rows = true, nil
	if cap(r.buf) > 4*copyBatch {
		r.buf = nil // a huge row: do not keep its buffer
	}
	return r.err
}

func (r *rowReader) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return 0, errReaderStopped
	}
	if r.err != nil {
		return 0, r.err
	}
	for r.off == len(r.buf) {
		if r.next == len(r.rows) {
			return 0, io.EOF
		}
		r.buf, r.off = r.buf[:0], 0
		for r.next < len(r.rows) && len(r.buf) < copyBatch {
			if err := r.encode(r.next); err != nil {
				r.err = err
				return 0, err
			}
			r.next++
		}
	}
	n := copy(b, r.buf[r.off:])
	r.off += n
	return n, nil
}

// encode appends row i's COPY line to buf, through the plan's encoders.
func (r *rowReader) encode(i int) error {
	row := r.rows[i]
	start := len(r.buf)
	buf := r.buf
	if r.numbered {
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, '\t')
	}
	var err error
	for c := range r.plan.Columns {
		if c > 0 {
			buf = append(buf, '\t')
		}
		if buf, err = r.plan.Columns[c].appendCopy(buf, row[c]); err != nil {
			r.buf = buf[:start]
			var ve *ValueError
			after := ""
			if errors.As(err, &ve) {
				after = "; the sink refuses such a value too (the pipeline stops at its row), so the target cannot hold this row"
			}
			return wrapErr(err, fmt.Sprintf("postgres sink: verify %s: source row %d of the chunk (key %s): ",
				r.plan.Source.QualifiedName(), i, keyString(r.plan, row)), after)
		}
	}
	r.buf = append(buf, '\n')
	return nil
}

// Finish lists the target rows no chunk accounted for or, for a keyless
// table, the multiset differences.
func (v *tableVerifier) Finish(ctx context.Context, limit int) (core.FinishResult, error) {
	var res core.FinishResult
	if err := v.usable(); err != nil {
		return res, err
	}
	if v.finished {
		return res, errors.New(v.prefix + "Finish called twice")
	}
	v.finished = true
	if v.missing {
		return res, v.targetMissing()
	}
	limit = max(limit, 0)
	if len(v.plan.Key) == 0 {
		if err := v.finishMultiset(ctx, limit, &res); err != nil {
			return res, err
		}
		return res, nil
	}
	// verify_keys has no statistics (autovacuum never sees temp tables):
	// without them the anti-join is planned for a guessed size.
	if _, err := v.tx.Exec(ctx, "ANALYZE pg_temp.verify_keys"); err != nil {
		return res, v.fail(ctx, "analyze the staged keys", err)
	}
	n, diffs, err := v.listTarget(ctx, v.extra, limit)
	if err != nil {
		return res, v.fail(ctx, "find the target's extra rows", err)
	}
	res.Extra, res.Diffs = n, diffs
	if !v.unique {
		n, diffs, err := v.listTarget(ctx, v.dups, limit-len(res.Diffs))
		if err != nil {
			return res, v.fail(ctx, "find keys the target holds more than once", err)
		}
		res.Extra += n
		res.Diffs = append(res.Diffs, diffs...)
	}
	return res, nil
}

// listTarget runs a query of extra target rows: each row is the total
// (the same on every row), the row's count and its key as text.
func (v *tableVerifier) listTarget(ctx context.Context, sql string, limit int) (int64, []core.RowDiff, error) {
	q, err := v.tx.Query(ctx, sql, max(limit, 1))
	if err != nil {
		return 0, nil, err
	}
	defer q.Close()
	var total int64
	var diffs []core.RowDiff
	keyIdx := v.plan.Key
	for q.Next() {
		var count int64
		vals := make([]*string, len(keyIdx))
		dst := []any{&total, &count}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := q.Scan(dst...); err != nil {
			return 0, nil, err
		}
		if len(diffs) < limit {
			diffs = append(diffs, core.RowDiff{Kind: core.DiffExtra, Key: v.targetKey(keyIdx, vals), Count: count})
		}
	}
	return total, diffs, q.Err()
}

// finishMultiset compares a keyless table's staged rows with the target
// as multisets.
func (v *tableVerifier) finishMultiset(ctx context.Context, limit int, res *core.FinishResult) error {
	q, err := v.tx.Query(ctx, v.multiset, max(limit, 1))
	if err != nil {
		return v.fail(ctx, fmt.Sprintf("compare the %d staged rows with the target as multisets", v.staged), err)
	}
	defer q.Close()
	all := make([]int, len(v.plan.Columns))
	for i := range all {
		all[i] = i
	}
	for q.Next() {
		var surplus int64
		vals := make([]*string, len(all))
		dst := []any{&res.Missing, &res.Extra, &surplus}
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := q.Scan(dst...); err != nil {
			return v.fail(ctx, "read the multiset differences", err)
		}
		if len(res.Diffs) >= limit {
			continue
		}
		d := core.RowDiff{Kind: core.DiffMissing, Key: v.targetKey(all, vals), Count: surplus}
		if surplus < 0 {
			d.Kind, d.Count = core.DiffExtra, -surplus
		}
		res.Diffs = append(res.Diffs, d)
	}
	if err := q.Err(); err != nil {
		return v.fail(ctx, "read the multiset differences", err)
	}
	return nil
}

// Close rolls the transaction back (its staging tables go with it) and
// closes the connection.
func (v *tableVerifier) Close(ctx context.Context) error {
	if v.closed {
		return nil
	}
	v.closed = true
	conn := v.conn
	v.conn, v.tx = nil, nil
	if conn == nil || conn.IsClosed() {
		return nil
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
	}
	// Closing the connection ends the transaction: nothing was written
	// but temp tables, so there is nothing to roll back carefully.
	_ = conn.Close(ctx)
	return nil
}

// sourceKey renders the key of a source row: "id=42", "(a=1, b='x')".
func (v *tableVerifier) sourceKey(row []core.Value) string {
	parts := make([]string, len(v.plan.Key))
	for n, k := range v.plan.Key {
		parts[n] = v.plan.Columns[k].Name + "=" + showValue(row[k])
	}
	return joinKey(parts)
}

// targetKey renders values the target returned as text for the plan
// columns idx.
func (v *tableVerifier) targetKey(idx []int, vals []*string) string {
	parts := make([]string, len(idx))
	for n, i := range idx {
		s := "NULL"
		if vals[n] != nil {
			switch t := *vals[n]; {
			case v.cols[i].form != formAsIs || v.cols[i].show == showQuoted:
				s = quoteShown(t)
			case v.cols[i].show == showBits:
				s = "b'" + shorten(t) + "'"
			default:
				s = shorten(t)
			}
		}
		parts[n] = v.plan.Columns[i].Name + "=" + s
	}
	return joinKey(parts)
}

func joinKey(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// showValue renders a source value for a key: numbers, bits and bytes
// as MySQL prints them, the rest quoted.
func showValue(val core.Value) string {
	switch val.Kind() {
	case core.KindNull, core.KindInt, core.KindUint, core.KindFloat32, core.KindFloat64, core.KindDecimal,
		core.KindYear, core.KindBit, core.KindBytes, core.KindGeometry, core.KindVector:
		return shorten(val.String())
	}
	return quoteShown(val.String())
}

// shorten bounds a shown value to maxShownValue bytes.
func shorten(s string) string {
	if len(s) <= maxShownValue {
		return s
	}
	cut := maxShownValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// quoteShown quotes s SQL-style for a key, shortened, with control
// characters and invalid UTF-8 escaped so that a key stays on one line.
func quoteShown(s string) string {
	s = shorten(s)
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\'':
			b.WriteString("''")
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
