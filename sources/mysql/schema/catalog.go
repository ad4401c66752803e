package schema

import (
	"maps"
	"sort"
	"strings"

	"github.com/seed5aa6e046/syncer/core"
)

// Database is a schema (database) with its default character set.
type Database struct {
	Name      string
	Charset   string
	Collation string
}

type dbEntry struct {
	db     Database
	tables map[string]*core.Table // key: tableKey(name)
}

// Catalog is the set of databases and tables at one point of the binlog.
// Tables stored in it are immutable: changes replace the *core.Table, so
// a pointer handed out by Table or in a Change never changes.
// A Catalog is not safe for concurrent use.
type Catalog struct {
	caseInsensitive bool
	flavor          Flavor
	// implicitTimestamp is explicit_defaults_for_timestamp=OFF.
	implicitTimestamp bool
	serverCharset     string
	serverCollation   string
	dbs               map[string]*dbEntry // key: nameKey(db)
	// ignoredDBs are databases whose DDL is not tracked (nameKey).
	ignoredDBs map[string]bool
}

// SystemDatabases returns the servers' own databases, whose tables are not
// user data: mysql, information_schema, performance_schema and sys.
func SystemDatabases() []string {
	return []string{"mysql", "information_schema", "performance_schema", "sys"}
}

// SetIgnoredDatabases makes Apply pass over DDL on the tables of these
// databases (a CREATE there adds nothing, an ALTER of a table there is no
// ErrUnknownTable): typically SystemDatabases, whose tables the server
// changes on upgrades and which the initial capture does not read. Call it
// after SetCaseInsensitiveNames.
func (c *Catalog) SetIgnoredDatabases(names ...string) {
	c.ignoredDBs = make(map[string]bool, len(names))
	for _, n := range names {
		c.ignoredDBs[c.nameKey(n)] = true
	}
}

// Ignored reports whether db is one of the ignored databases.
func (c *Catalog) Ignored(db string) bool { return c.ignored(db) }

func (c *Catalog) ignored(db string) bool {
	return c.ignoredDBs[c.nameKey(db)]
}

// NewCatalog returns an empty catalog with case-sensitive names
// (lower_case_table_names=0, the Linux default) and FlavorUnknown.
func NewCatalog() *Catalog {
	return &Catalog{dbs: map[string]*dbEntry{}}
}

// SetCaseInsensitiveNames makes database and table names case-insensitive,
// as on a server with lower_case_table_names=1 or 2. Set it before adding
// anything.
func (c *Catalog) SetCaseInsensitiveNames(on bool) { c.caseInsensitive = on }

// CaseInsensitiveNames reports the setting above.
func (c *Catalog) CaseInsensitiveNames() bool { return c.caseInsensitive }

// SetExplicitDefaultsForTimestamp follows the server's
// explicit_defaults_for_timestamp (default ON, as on MySQL 8 and MariaDB
// 10.10+). With OFF (MySQL 5.7, MariaDB before 10.10), TIMESTAMP columns
// are NOT NULL unless declared NULL, and get implicit defaults.
func (c *Catalog) SetExplicitDefaultsForTimestamp(on bool) { c.implicitTimestamp = !on }

// SetFlavor sets the server family (see Flavor).
func (c *Catalog) SetFlavor(f Flavor) { c.flavor = f }

// Flavor returns the server family.
func (c *Catalog) Flavor() Flavor { return c.flavor }

// SetServerDefaults sets @@character_set_server and @@collation_server, the
// last resort of charset resolution. An empty collation is the charset's
// default.
func (c *Catalog) SetServerDefaults(charset, collation string) {
	// Kept as given and resolved on use, so that SetFlavor may come later.
	c.serverCharset, c.serverCollation = charset, collation
}

func (c *Catalog) nameKey(s string) string {
	if c.caseInsensitive {
		return strings.ToLower(s)
	}
	return s
}

// Clone returns a copy on which applying DDL never changes c. Tables are
// shared: they are immutable.
func (c *Catalog) Clone() *Catalog {
	n := *c
	n.ignoredDBs = maps.Clone(c.ignoredDBs)
	n.dbs = make(map[string]*dbEntry, len(c.dbs))
	for k, e := range c.dbs {
		ne := &dbEntry{db: e.db, tables: make(map[string]*core.Table, len(e.tables))}
		for tk, t := range e.tables {
			ne.tables[tk] = t
		}
		n.dbs[k] = ne
	}
	return &n
}

// TableKey is the key under which the catalog finds schema.name (names
// folded to lower case on a server with lower_case_table_names).
func (c *Catalog) TableKey(schema, name string) [2]string {
	return [2]string{c.nameKey(schema), c.nameKey(name)}
}

// SameName reports whether two database or table names name the same
// thing on this server (lower_case_table_names).
func (c *Catalog) SameName(a, b string) bool { return c.nameKey(a) == c.nameKey(b) }

// Table returns the table schema.name, nil if absent.
func (c *Catalog) Table(schema, name string) *core.Table {
	e := c.dbs[c.nameKey(schema)]
	if e == nil {
		return nil
	}
	return e.tables[c.nameKey(name)]
}

// Tables returns every table, sorted by schema then name.
func (c *Catalog) Tables() []*core.Table {
	var out []*core.Table
	for _, e := range c.dbs {
		for _, t := range e.tables {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Schema != out[j].Schema {
			return out[i].Schema < out[j].Schema
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Database returns the database named name.
func (c *Catalog) Database(name string) (Database, bool) {
	e := c.dbs[c.nameKey(name)]
	if e == nil {
		return Database{}, false
	}
	return e.db, true
}

// Databases returns every database, sorted by name.
func (c *Catalog) Databases() []Database {
	out := make([]Database, 0, len(c.dbs))
	for _, e := range c.dbs {
		out = append(out, e.db)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PutDatabase adds or replaces a database definition, keeping its tables.
// A charset without collation gets its default collation for the flavor
// set at the time (call SetFlavor first).
func (c *Catalog) PutDatabase(d Database) {
	d.Charset, d.Collation = resolveCharset(d.Charset, d.Collation, c.flavor, "", "")
	k := c.nameKey(d.Name)
	if e := c.dbs[k]; e != nil {
		e.db = d
		return
	}
	c.dbs[k] = &dbEntry{db: d, tables: map[string]*core.Table{}}
}

// PutTable stores t (for the initial capture), creating its database entry
// if needed. t must not be modified afterwards.
func (c *Catalog) PutTable(t *core.Table) {
	c.ensureDB(t.Schema).tables[c.nameKey(t.Name)] = t
}

func (c *Catalog) ensureDB(name string) *dbEntry {
	k := c.nameKey(name)
	e := c.dbs[k]
	if e == nil {
		// A database known only through its tables: its charset is
		// unknown and resolution falls through to the server's.
		e = &dbEntry{db: Database{Name: name}, tables: map[string]*core.Table{}}
		c.dbs[k] = e
	}
	return e
}

func (c *Catalog) deleteTable(schema, name string) {
	if e := c.dbs[c.nameKey(schema)]; e != nil {
		delete(e.tables, c.nameKey(name))
	}
}

// dbDefaults returns the charset and collation a new table in db inherits.
func (c *Catalog) dbDefaults(db string) (string, string) {
	if e := c.dbs[c.nameKey(db)]; e != nil && e.db.Charset != "" {
		return e.db.Charset, e.db.Collation
	}
	return c.serverDefaults()
}

func (c *Catalog) serverDefaults() (string, string) {
	return resolveCharset(c.serverCharset, c.serverCollation, c.flavor, "", "")
}
