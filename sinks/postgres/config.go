package postgres

import (
	"fmt"
	"log/slog"
	"path"
	"strings"
)

// Config configures a Postgres sink. NewConfig returns the defaults.
type Config struct {
	// DSN is a libpq connection string or URL (pgx's ParseConfig).
	DSN string
	// StateSchema holds the sink's own tables (the checkpoints). Default
	// "_syncer".
	StateSchema string
	// TargetSchema names the Postgres schema a source table goes to;
	// "{database}" is replaced by the source database. Default
	// "{database}": shop.orders becomes "shop"."orders".
	TargetSchema string
	// TinyInt1AsBoolean maps TINYINT(1) to boolean (0 is false, any
	// other value true) instead of smallint. Default false: the mapping
	// loses nothing.
	TinyInt1AsBoolean bool
	// Keyless says what to do with a table that has neither a primary key
	// nor a unique key of NOT NULL columns. Default KeylessRefuse.
	Keyless KeylessPolicy
	// Schema says how source DDL evolves target tables.
	Schema SchemaPolicies
	// Values says what to store for values Postgres cannot hold; Columns
	// overrides it for columns matching a glob.
	Values ValuePolicies
	// Columns are per-column overrides of Values, keyed by a glob over
	// "database.table.column" (path.Match syntax, case-insensitive), the
	// first match winning.
	Columns []ColumnPolicies
	// ChunkRows and ChunkBytes bound the rows buffered per table before
	// they are copied into the staging table: a transaction larger than
	// memory streams through in chunks. Defaults 10000 and 8 MiB.
	ChunkRows  int
	ChunkBytes int
	Logger     *slog.Logger
}

// NewConfig returns a Config with the defaults.
func NewConfig(dsn string) *Config {
	return &Config{
		DSN:          dsn,
		StateSchema:  "_syncer",
		TargetSchema: "{database}",
		ChunkRows:    10000,
		ChunkBytes:   8 << 20,
		Schema: SchemaPolicies{
			DropColumn: DropColumnDrop,
			DropTable:  DropTableDrop,
			Truncate:   TruncateApply,
		},
		Values: ValuePolicies{
			ZeroDate:    DateNull,
			InvalidDate: DateError,
			NulInText:   NulError,
		},
	}
}

// KeylessPolicy is what to do with a table without a usable key.
type KeylessPolicy string

const (
	// KeylessRefuse stops the pipeline at the table's first row, naming
	// the table and the fixes (add a primary key, or KeylessFullRow).
	KeylessRefuse KeylessPolicy = "refuse"
	// KeylessFullRow matches rows on all their columns (NULLs equal),
	// one statement per row change: correct with duplicate rows, slow.
	KeylessFullRow KeylessPolicy = "full_row"
)

// SchemaPolicies say how source DDL changes target tables.
type SchemaPolicies struct {
	DropColumn DropColumnPolicy
	DropTable  DropTablePolicy
	Truncate   TruncatePolicy
}

// DropColumnPolicy is what ALTER TABLE ... DROP COLUMN does to the target.
type DropColumnPolicy string

const (
	DropColumnDrop DropColumnPolicy = "drop" // drop the target column
	// DropColumnKeep keeps the target column, made nullable; later rows
	// leave it NULL.
	DropColumnKeep DropColumnPolicy = "keep"
)

// DropTablePolicy is what DROP TABLE does to the target.
type DropTablePolicy string

const (
	DropTableDrop DropTablePolicy = "drop"
	DropTableKeep DropTablePolicy = "keep" // keep the target table and its rows
)

// TruncatePolicy is what TRUNCATE TABLE does to the target.
type TruncatePolicy string

const (
	TruncateApply  TruncatePolicy = "apply"
	TruncateIgnore TruncatePolicy = "ignore"
)

// ValuePolicies say what to store for a value Postgres cannot hold.
type ValuePolicies struct {
	// ZeroDate is for MySQL's zero date 0000-00-00 (and zero DATETIME and
	// TIMESTAMP). Default DateNull.
	ZeroDate DatePolicy
	// InvalidDate is for dates Postgres has no day for: year 0, month or
	// day 0 in a non-zero date, February 30th (ALLOW_INVALID_DATES).
	// Default DateError.
	InvalidDate DatePolicy
	// NulInText is for a NUL byte in text or JSON, which Postgres text
	// cannot hold. Default NulError.
	NulInText NulPolicy
}

// DatePolicy is what to store for a date Postgres cannot hold.
type DatePolicy string

const (
	DateNull        DatePolicy = "null"
	DateInfinity    DatePolicy = "infinity"  // 'infinity'
	DateNegInfinity DatePolicy = "-infinity" // '-infinity'
	// DateError stops the pipeline, naming the table, column, row key
	// and position, and the policy that would store it.
	DateError DatePolicy = "error"
)

// NulPolicy is what to do with NUL bytes in text.
type NulPolicy string

const (
	NulStrip   NulPolicy = "strip"   // remove them
	NulReplace NulPolicy = "replace" // replace each with U+FFFD
	NulError   NulPolicy = "error"   // stop the pipeline, naming the row
)

// ColumnPolicies overrides ValuePolicies for the columns Match matches;
// empty fields keep the pipeline's policy.
type ColumnPolicies struct {
	Match string
	ValuePolicies
}

// valuePoliciesFor returns the policies in force for one column.
func (c *Config) valuePoliciesFor(database, table, column string) ValuePolicies {
	p := c.Values
	name := strings.ToLower(database + "." + table + "." + column)
	for _, o := range c.Columns {
		if ok, _ := path.Match(strings.ToLower(o.Match), name); !ok {
			continue
		}
		if o.ZeroDate != "" {
			p.ZeroDate = o.ZeroDate
		}
		if o.InvalidDate != "" {
			p.InvalidDate = o.InvalidDate
		}
		if o.NulInText != "" {
			p.NulInText = o.NulInText
		}
		break
	}
	return p
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if c.DSN == "" {
		return fmt.Errorf("postgres sink: dsn is empty")
	}
	if c.StateSchema == "" || c.TargetSchema == "" {
		return fmt.Errorf("postgres sink: state_schema and target_schema must not be empty")
	}
	if c.ChunkRows <= 0 || c.ChunkBytes <= 0 {
		return fmt.Errorf("postgres sink: chunk limits must be positive")
	}
	check := func(what, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("postgres sink: %s %q is not one of %s", what, v, strings.Join(allowed, ", "))
	}
	for _, err := range []error{
		check("keyless policy", string(c.Keyless), "", string(KeylessRefuse), string(KeylessFullRow)),
		check("drop_column policy", string(c.Schema.DropColumn), string(DropColumnDrop), string(DropColumnKeep)),
		check("drop_table policy", string(c.Schema.DropTable), string(DropTableDrop), string(DropTableKeep)),
		check("truncate policy", string(c.Schema.Truncate), string(TruncateApply), string(TruncateIgnore)),
	} {
		if err != nil {
			return err
		}
	}
	dates := []string{string(DateNull), string(DateInfinity), string(DateNegInfinity), string(DateError)}
	nuls := []string{string(NulStrip), string(NulReplace), string(NulError)}
	all := append([]ColumnPolicies{{Match: "*", ValuePolicies: c.Values}}, c.Columns...)
	for i, o := range all {
		if i > 0 {
			if _, err := path.Match(o.Match, ""); err != nil {
				return fmt.Errorf("postgres sink: column glob %q: %w", o.Match, err)
			}
		}
		emptyOK := i > 0
		for _, f := range []struct {
			what, v string
			allowed []string
		}{
			{"zero_date policy", string(o.ZeroDate), dates},
			{"invalid_date policy", string(o.InvalidDate), dates},
			{"nul_in_text policy", string(o.NulInText), nuls},
		} {
			if f.v == "" && emptyOK {
				continue
			}
			if err := check(f.what, f.v, f.allowed...); err != nil {
				return err
			}
		}
	}
	return nil
}
