package pipelines

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the pipelines file at path, expands ${VAR} references from
// the process environment and validates it. Nothing connects anywhere.
// Problems in the file are returned as an *Errors holding every one of
// them; a file that cannot be read is returned as the os error.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse parses and validates the contents of a pipelines file. path names
// the file in errors, and a relative state_dir is relative to its
// directory. env looks up environment variables, for ${VAR} references and
// the default state directory (Load passes os.LookupEnv). Errors are an
// *Errors holding every problem found, in file order.
func Parse(path string, data []byte, env func(string) (string, bool)) (*File, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	d := &decoder{file: path, env: env}
	f := d.file_(data)
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i], d.errs[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		// A mapping merged (<<) in several places reports its problems
		// once.
		var list []*Error
		seen := map[string]bool{}
		for _, e := range d.errs {
			k := fmt.Sprintf("%d:%d:%s", e.Line, e.Column, e.Msg)
			if !seen[k] {
				seen[k] = true
				list = append(list, e)
			}
		}
		return nil, &Errors{List: list}
	}
	return f, nil
}

type decoder struct {
	file string
	env  func(string) (string, bool)
	errs []*Error
}

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// file_ decodes the whole file.
func (d *decoder) file_(data []byte) *File {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			d.errs = append(d.errs, &Error{File: d.file, Line: 1, Column: 1,
				Msg: "the file is empty: want a pipelines: list (see docs/pipelines.md)"})
			return nil
		}
		d.syntaxError(data, err)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(&extra, "", "a second YAML document: put every pipeline in the first document's pipelines: list")
	} else if err != io.EOF {
		d.syntaxError(data, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	m := d.mapping(root, "", topKeys)
	if m == nil {
		return nil
	}
	f := &File{Path: d.file}
	f.StateDir = d.stateDir(m)

	pn := m.get("pipelines")
	if pn == nil || isNull(pn) {
		d.missing(m, pn, "pipelines", "list the pipelines, each with a name, a source and a sink")
		return f
	}
	if pn.Kind != yaml.SequenceNode {
		d.add(pn, "pipelines", "want a list of pipelines, got %s", kindName(pn))
		return f
	}
	if len(pn.Content) == 0 {
		d.add(pn, "pipelines", "the list is empty: declare at least one pipeline")
		return f
	}
	type seen struct {
		line, col int
		derived   bool
	}
	names := map[string]seen{}
	ids := map[uint32]seen{}
	for i, n := range pn.Content {
		n = resolve(n)
		p := d.pipeline(n, fmt.Sprintf("pipelines[%d]", i), f.StateDir)
		if p == nil {
			continue
		}
		f.Pipelines = append(f.Pipelines, p.Pipeline)
		if p.Name != "" {
			key := strings.ToLower(p.Name)
			if s, dup := names[key]; dup {
				d.add(p.nameNode, fmt.Sprintf("pipelines[%d].name", i),
					"duplicate pipeline name %q: the pipeline at line %d has the same name (compared case-insensitively: state lives in <state_dir>/<name>); rename one",
					p.Name, s.line)
			} else {
				names[key] = seen{line: p.nameNode.Line, col: p.nameNode.Column}
			}
		}
		if p.Source.ServerID != 0 {
			at := p.idNode
			if at == nil {
				at = n
			}
			if s, dup := ids[p.Source.ServerID]; dup {
				other := "sets it too"
				if s.derived {
					other = "derives it from its name"
				}
				fix := "set server_id to an id no other replica of the source uses"
				if p.idNode == nil {
					fix = fmt.Sprintf("this pipeline derives it from its name %q; %s", p.Name, fix)
				}
				d.add(at, fmt.Sprintf("pipelines[%d].source.server_id", i),
					"duplicate server_id %d: the pipeline at line %d %s; %s",
					p.Source.ServerID, s.line, other, fix)
			} else {
				ids[p.Source.ServerID] = seen{line: at.Line, col: at.Column, derived: p.idNode == nil}
			}
		}
	}
	return f
}

func (d *decoder) syntaxError(data []byte, err error) {
	msg := err.Error()
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
		if strings.Contains(msg, "end of stream") {
			line = bytes.Count(data, []byte("\n")) + 1
			if len(data) > 0 && data[len(data)-1] == '\n' {
				line--
			}
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: "YAML syntax error: " + msg})
}

// stateDir resolves the state directory.
func (d *decoder) stateDir(m *mapping) string {
	if n := m.get("state_dir"); n != nil && !isNull(n) {
		s, ok := d.scalar(n, "state_dir", "a directory path")
		if !ok {
			return ""
		}
		if s == "" {
			d.add(n, "state_dir", "%s is empty: give a directory, or drop the key for the default", show(n))
			return ""
		}
		if s == "~" || strings.HasPrefix(s, "~/") {
			home := d.home()
			if home == "" {
				d.add(n, "state_dir", "%s starts with ~ but the home directory is unknown (HOME is not set): give an absolute path", show(n))
				return ""
			}
			s = filepath.Join(home, s[1:])
		}
		if !filepath.IsAbs(s) {
			s = filepath.Join(filepath.Dir(d.file), s)
		}
		return filepath.Clean(s)
	}
	if v, ok := d.env("SYNCER_STATE_DIR"); ok && v != "" {
		return filepath.Clean(v)
	}
	if v, ok := d.env("XDG_STATE_HOME"); ok && v != "" {
		return filepath.Join(v, "syncer")
	}
	if home := d.home(); home != "" {
		return filepath.Join(home, ".local", "state", "syncer")
	}
	d.add(m.node, "state_dir", "cannot choose a state directory: none of state_dir, $SYNCER_STATE_DIR, $XDG_STATE_HOME, $HOME is set; set state_dir")
	return ""
}

func (d *decoder) home() string {
	if v, ok := d.env("HOME"); ok && v != "" {
		return v
	}
	return ""
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

type pipelineNodes struct {
	*Pipeline
	nameNode *yaml.Node
	idNode   *yaml.Node // nil when the server id is derived
}

func (d *decoder) pipeline(n *yaml.Node, path, stateDir string) *pipelineNodes {
	m := d.mapping(n, path, pipelineKeys)
	if m == nil {
		return nil
	}
	p := &pipelineNodes{Pipeline: &Pipeline{}}
	if nn := m.get("name"); nn == nil || isNull(nn) {
		d.missing(m, nn, "name", "name the pipeline, e.g. name: shop")
	} else if s, ok := d.scalar(nn, path+".name", "a name"); ok {
		p.nameNode = nn
		if !nameRE.MatchString(s) {
			d.add(nn, path+".name", "%s is not a valid name: use only letters, digits, _ and - (it names the state directory)", show(nn))
		} else {
			p.Name = s
			if stateDir != "" {
				p.StateDir = filepath.Join(stateDir, s)
			}
		}
	}

	if sn := m.get("source"); sn == nil || isNull(sn) {
		d.missing(m, sn, "source", "give the source: type, dsn, ...")
	} else {
		p.idNode = d.source(sn, path+".source", &p.Source)
		if p.Source.ServerID == 0 && p.idNode == nil && p.Name != "" {
			p.Source.ServerID = DefaultServerID(p.Name)
		}
	}

	p.Snapshot = Snapshot{ChunkRows: DefaultChunkRows, ChunkBytes: DefaultChunkBytes, Parallel: DefaultSnapshotParallel}
	var snapNode *yaml.Node
	if sn := m.get("snapshot"); sn != nil && !isNull(sn) {
		snapNode = d.snapshot(sn, path+".snapshot", &p.Snapshot)
	}
	d.snapshotMode(snapNode, path, p.Pipeline)

	if tn := m.get("transforms"); tn != nil && !isNull(tn) {
		switch {
		case tn.Kind != yaml.SequenceNode:
			d.add(tn, path+".transforms", "want a list, got %s; and WASM transforms are not available yet (they arrive in a later release): write transforms: [] or drop the key", kindName(tn))
		case len(tn.Content) > 0:
			d.add(tn, path+".transforms", "WASM transforms are not available yet: they arrive in a later release; drop the key or leave the list empty (transforms: [])")
		}
	}

	if sn := m.get("sink"); sn == nil || isNull(sn) {
		d.missing(m, sn, "sink", "give the sink: type: postgres, dsn, ...")
	} else {
		d.sink(sn, path+".sink", &p.Sink)
	}

	p.Batch = Batch{MaxRecords: DefaultMaxRecords, MaxBytes: DefaultMaxBytes, MaxLatency: DefaultMaxLatency}
	if bn := m.get("batch"); bn != nil && !isNull(bn) {
		d.batch(bn, path+".batch", &p.Batch)
	}
	p.Policies = Policies{DropColumn: DefaultDropColumn, DropTable: DefaultDropTable, Truncate: DefaultTruncate,
		ZeroDate: DefaultZeroDate, InvalidDate: DefaultInvalidDate, NulInText: DefaultNulInText}
	if pn := m.get("policies"); pn != nil && !isNull(pn) {
		d.policies(pn, path+".policies", &p.Policies)
	}
	p.Retry = Retry{InitialBackoff: DefaultInitialBackoff, MaxBackoff: DefaultMaxBackoff}
	if rn := m.get("retry"); rn != nil && !isNull(rn) {
		d.retry(rn, path+".retry", &p.Retry)
	}
	return p
}

var (
	sourceTypes    = []string{"mysql", "mariadb"}
	onDDLError     = []string{"fail", "skip"}
	onSchemaMisma  = []string{"fail", "reread"}
	keylessTables  = []string{"refuse", "full_row"}
	dropPolicies   = []string{"drop", "keep"}
	truncatePolicy = []string{"apply", "ignore"}
	datePolicies   = []string{"null", "infinity", "-infinity", "error"}
	nulPolicies    = []string{"strip", "replace", "error"}
)

// source decodes a source and returns the server_id node, nil when the
// key is absent.
func (d *decoder) source(n *yaml.Node, path string, s *Source) *yaml.Node {
	m := d.mapping(n, path, sourceKeys)
	if m == nil {
		return nil
	}
	s.Type = d.enum(m, "type", DefaultSourceType, sourceTypes, func(v string) string {
		return fmt.Sprintf("only MySQL and MariaDB sources exist; %q is not one of them", v)
	})
	if dn := m.get("dsn"); dn == nil || isNull(dn) {
		d.missing(m, dn, "dsn", `give the source's DSN, e.g. dsn: ${SOURCE_DSN} with SOURCE_DSN="user:pass@tcp(host:3306)/"`)
	} else if v, ok := d.scalar(dn, path+".dsn", "a DSN"); ok {
		if v == "" {
			d.add(dn, path+".dsn", "%s is empty: give the source's DSN", showDSN(dn))
		} else if msg := checkMySQLDSN(v); msg != "" {
			d.add(dn, path+".dsn", "%s is not a valid MySQL DSN: %s", showDSN(dn), msg)
		} else {
			s.DSN = v
		}
	}
	var idNode *yaml.Node
	if in := m.get("server_id"); in != nil && !isNull(in) {
		idNode = in
		if v, ok := d.integer(in, path+".server_id", 1, 1<<32-1,
			"a replica server id must be between 1 and 4294967295"); ok {
			s.ServerID = uint32(v)
		}
	}
	s.Include = d.globs(m, "include", 1)
	s.Exclude = d.globs(m, "exclude", 1)
	s.ExcludeColumns = d.globs(m, "exclude_columns", 2)
	if sn := m.get("start"); sn != nil && !isNull(sn) {
		d.start(sn, path+".start", &s.Start)
	}
	hb, hbOK := d.duration(m, "heartbeat", DefaultHeartbeat, false)
	rt, rtOK := d.duration(m, "read_timeout", DefaultReadTimeout, false)
	s.Heartbeat, s.ReadTimeout = hb, rt
	if hbOK && rtOK && rt <= hb {
		at := m.get("read_timeout")
		if at == nil {
			at = m.get("heartbeat")
		}
		d.add(at, path+".read_timeout", "read_timeout (%v) must be longer than heartbeat (%v), or an idle source times out between heartbeats", rt, hb)
	}
	s.OnDDLError = d.enum(m, "on_ddl_error", DefaultOnDDLError, onDDLError, nil)
	s.OnSchemaMismatch = d.enum(m, "on_schema_mismatch", DefaultOnSchemaMismatch, onSchemaMisma, nil)
	return idNode
}

var (
	mariadbGTIDRE = regexp.MustCompile(`^\d+-\d+-\d+$`)
	mysqlGTIDRE   = regexp.MustCompile(`(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(:([a-z_][a-z0-9_]{0,31}|\d+(-\d+)?))+$`)
)

func (d *decoder) start(n *yaml.Node, path string, st *Start) {
	const forms = "current, earliest, {file: <binlog file>, pos: <position>} or {gtid: <GTID set>}"
	st.Set = true
	switch n.Kind {
	case yaml.ScalarNode:
		v, ok := d.scalar(n, path, "")
		if !ok {
			return
		}
		switch v {
		case "current":
			st.Mode = StartCurrent
		case "earliest":
			st.Mode = StartEarliest
		default:
			hint := ""
			if s := suggest(v, []string{"current", "earliest"}); s != "" {
				hint = fmt.Sprintf(" (did you mean %s?)", s)
			}
			d.add(n, path, "%s is not one of %s%s", show(n), forms, hint)
		}
		return
	case yaml.MappingNode:
	default:
		d.add(n, path, "want one of %s, got %s", forms, kindName(n))
		return
	}
	m := d.mapping(n, path, startKeys)
	if m == nil {
		return
	}
	fn, pn, gn := nonNull(m.get("file")), nonNull(m.get("pos")), nonNull(m.get("gtid"))
	switch {
	case gn != nil && (fn != nil || pn != nil):
		at := fn
		if at == nil {
			at = pn
		}
		d.add(at, path, "start gives both a gtid and a file/pos: choose one")
		return
	case gn != nil:
		v, ok := d.scalar(gn, path+".gtid", "a GTID set")
		if !ok {
			return
		}
		if !validGTID(v) {
			d.add(gn, path+".gtid", "%s is not a GTID set: want a MySQL GTID set (3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5) or a MariaDB GTID list (0-1-100)", show(gn))
			return
		}
		st.Mode, st.GTID = StartGTID, v
	case fn != nil:
		v, ok := d.scalar(fn, path+".file", "a binlog file name")
		if !ok {
			return
		}
		if v == "" || strings.ContainsAny(v, "/\\") {
			d.add(fn, path+".file", "%s is not a binlog file name: want the name SHOW BINARY LOGS prints, e.g. mysql-bin.000003", show(fn))
			return
		}
		st.Mode, st.File, st.Pos = StartFilePos, v, 4
		if pn != nil {
			if p, ok := d.integer(pn, path+".pos", 4, 1<<63-1, "a binlog position is at least 4 (the first event after the file header)"); ok {
				st.Pos = uint64(p)
			}
		}
	case pn != nil:
		d.add(pn, path+".pos", "start.pos without start.file: add file: <binlog file name> (positions are per file)")
	default:
		d.add(n, path, "empty start: write current, earliest, {file: ..., pos: ...} or {gtid: ...}, or drop the key")
	}
}

func validGTID(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	parts := strings.Split(s, ",")
	maria, mysql := true, true
	for _, p := range parts {
		p = strings.TrimSpace(p)
		maria = maria && mariadbGTIDRE.MatchString(p)
		mysql = mysql && mysqlGTIDRE.MatchString(p)
	}
	return maria || mysql
}

var laterSinks = map[string]string{
	"elasticsearch": "the Elasticsearch sink",
	"opensearch":    "the Elasticsearch sink",
	"mysql":         "the MySQL sink",
	"mariadb":       "the MySQL sink",
	"plugin":        "plugin sinks",
}

func (d *decoder) sink(n *yaml.Node, path string, s *Sink) {
	if n.Kind != yaml.MappingNode {
		d.mapping(n, path, nil) // reports the type error
		return
	}
	// The keys a sink may have depend on its type: read type first.
	typeNode := lookupKey(n, "type", 0)
	if typeNode == nil || isNull(typeNode) {
		m := d.mapping(n, path, postgresSinkKeys)
		if m != nil {
			d.missing(m, typeNode, "type", "write type: postgres")
		}
		return
	}
	t, ok := d.scalar(typeNode, path+".type", "a sink type")
	if !ok {
		return
	}
	switch {
	case t == "postgres":
	case t == "postgresql" || t == "pg":
		d.add(typeNode, path+".type", "unknown sink type %s: did you mean postgres?", show(typeNode))
		return
	case laterSinks[strings.ToLower(t)] != "":
		d.add(typeNode, path+".type", "%s is not available yet: it arrives in a later release; the only sink type for now is postgres", laterSinks[strings.ToLower(t)])
		return
	default:
		d.add(typeNode, path+".type", "unknown sink type %s: the only sink type is postgres", show(typeNode))
		return
	}
	m := d.mapping(n, path, postgresSinkKeys)
	if m == nil {
		return
	}
	s.Type = t
	pg := &PostgresSink{}
	s.Postgres = pg
	if dn := m.get("dsn"); dn == nil || isNull(dn) {
		d.missing(m, dn, "dsn", "give the Postgres connection string, e.g. dsn: ${TARGET_DSN} with TARGET_DSN=postgres://user:pass@host:5432/db")
	} else if v, ok := d.scalar(dn, path+".dsn", "a connection string"); ok {
		if v == "" {
			d.add(dn, path+".dsn", "%s is empty: give the Postgres connection string", showDSN(dn))
		} else if msg := checkPostgresDSN(v); msg != "" {
			d.add(dn, path+".dsn", "%s is not a valid Postgres connection string: %s", showDSN(dn), msg)
		} else {
			pg.DSN = v
		}
	}
	pg.TargetSchema = d.identifier(m, "target_schema", DefaultTargetSchema)
	pg.StateSchema = d.identifier(m, "state_schema", DefaultStateSchema)
	if strings.Contains(pg.StateSchema, "{") {
		d.add(m.get("state_schema"), path+".state_schema", "%s: placeholders are only for target_schema; the state schema is one fixed schema", show(m.get("state_schema")))
	}
	pg.TinyInt1AsBoolean = d.boolean(m, "tinyint1_as_boolean", false)
	pg.KeylessTables = d.enum(m, "keyless_tables", DefaultKeylessTables, keylessTables, nil)
}

// identifier reads a Postgres schema name: non-empty, at most 63 bytes.
func (d *decoder) identifier(m *mapping, key, def string) string {
	n := m.get(key)
	if n == nil || isNull(n) {
		return def
	}
	v, ok := d.scalar(n, m.sub(key), "a schema name")
	if !ok {
		return def
	}
	if v == "" {
		d.add(n, m.sub(key), "%s is empty: give a schema name, or drop the key for the default %q", show(n), def)
		return def
	}
	if len(v) > 63 && !strings.Contains(v, "{") {
		d.add(n, m.sub(key), "%s is longer than Postgres' 63-byte identifier limit", show(n))
		return def
	}
	if strings.Contains(v, "{") {
		rest := strings.ReplaceAll(v, "{database}", "")
		if strings.ContainsAny(rest, "{}") {
			d.add(n, m.sub(key), "%s: the only placeholder is {database}", show(n))
			return def
		}
	}
	return v
}

var snapshotModes = []string{string(SnapshotInitial), string(SnapshotNever), string(SnapshotSchemaOnly), string(SnapshotAlways)}

// snapshot decodes the snapshot key and returns the mode's node, nil when
// the mode is not given.
func (d *decoder) snapshot(n *yaml.Node, path string, s *Snapshot) *yaml.Node {
	m := d.mapping(n, path, snapshotKeys)
	if m == nil {
		return nil
	}
	s.Mode = SnapshotMode(d.enum(m, "mode", "", snapshotModes, nil))
	if rn := m.get("chunk_rows"); rn != nil && !isNull(rn) {
		if v, ok := d.integer(rn, path+".chunk_rows", 1, 1<<31-1, "a chunk reads at least one row"); ok {
			s.ChunkRows = int(v)
		}
	}
	s.ChunkBytes = d.size(m, "chunk_bytes", DefaultChunkBytes)
	if pn := m.get("parallel"); pn != nil && !isNull(pn) {
		if v, ok := d.integer(pn, path+".parallel", 1, 64, "parallel is the number of connections reading chunks: 1 to 64"); ok {
			s.Parallel = int(v)
		}
	}
	return nonNull(m.get("mode"))
}

// snapshotMode settles the snapshot mode with source.start: a snapshot
// copies the tables as they are now and streams from there, which
// contradicts a start in the past.
func (d *decoder) snapshotMode(modeNode *yaml.Node, path string, p *Pipeline) {
	st := p.Source.Start
	explicitStart := st.Set && st.Mode != StartCurrent
	switch {
	case p.Snapshot.Mode == "" && explicitStart:
		p.Snapshot.Mode = SnapshotNever
	case p.Snapshot.Mode == "":
		p.Snapshot.Mode = DefaultSnapshotMode
	case p.Snapshot.Mode != SnapshotNever && explicitStart:
		d.add(modeNode, path+".snapshot.mode", "snapshot.mode %s conflicts with source.start %s: a snapshot copies the tables as they are now "+
			"and streams the binlog from that moment. To replay the binlog from %s instead, set snapshot.mode: never (or drop it); "+
			"to copy the tables, drop source.start", p.Snapshot.Mode, st.Mode, st.Mode)
	}
}

func (d *decoder) batch(n *yaml.Node, path string, b *Batch) {
	m := d.mapping(n, path, batchKeys)
	if m == nil {
		return
	}
	if rn := m.get("max_records"); rn != nil && !isNull(rn) {
		if v, ok := d.integer(rn, path+".max_records", 1, 1<<31-1, "a batch holds at least one record"); ok {
			b.MaxRecords = int(v)
		}
	}
	b.MaxBytes = d.size(m, "max_bytes", DefaultMaxBytes)
	b.MaxLatency, _ = d.duration(m, "max_latency", DefaultMaxLatency, true)
}

func (d *decoder) policies(n *yaml.Node, path string, p *Policies) {
	m := d.mapping(n, path, policyKeys)
	if m == nil {
		return
	}
	p.DropColumn = d.enum(m, "drop_column", DefaultDropColumn, dropPolicies, nil)
	p.DropTable = d.enum(m, "drop_table", DefaultDropTable, dropPolicies, nil)
	p.Truncate = d.enum(m, "truncate", DefaultTruncate, truncatePolicy, nil)
	p.ZeroDate = d.dateEnum(m, "zero_date", DefaultZeroDate)
	p.InvalidDate = d.dateEnum(m, "invalid_date", DefaultInvalidDate)
	p.NulInText = d.enum(m, "nul_in_text", DefaultNulInText, nulPolicies, nil)
	cn := m.get("columns")
	if cn == nil || isNull(cn) {
		return
	}
	if cn.Kind != yaml.SequenceNode {
		d.add(cn, path+".columns", "want a list of {match: <glob>, zero_date|invalid_date|nul_in_text: ...}, got %s", kindName(cn))
		return
	}
	for i, c := range cn.Content {
		c = resolve(c)
		cpath := fmt.Sprintf("%s.columns[%d]", path, i)
		cm := d.mapping(c, cpath, columnPolicyKeys)
		if cm == nil {
			continue
		}
		var cp ColumnPolicy
		if mn := cm.get("match"); mn == nil || isNull(mn) {
			d.missing(cm, mn, "match", `give a glob over database.table.column, e.g. match: "shop.orders.*_at"`)
		} else if v, ok := d.scalar(mn, cpath+".match", "a glob"); ok {
			if msg := checkGlob(v, 2); msg != "" {
				d.add(mn, cpath+".match", "%s %s", show(mn), msg)
			} else {
				cp.Match = v
			}
		}
		cp.ZeroDate = d.dateEnum(cm, "zero_date", "")
		cp.InvalidDate = d.dateEnum(cm, "invalid_date", "")
		cp.NulInText = d.enum(cm, "nul_in_text", "", nulPolicies, nil)
		if cm.get("zero_date") == nil && cm.get("invalid_date") == nil && cm.get("nul_in_text") == nil {
			d.add(c, cpath, "sets no policy: add zero_date, invalid_date or nul_in_text")
		}
		p.Columns = append(p.Columns, cp)
	}
}

// dateEnum reads a zero_date or invalid_date policy, where a YAML null
// (an unquoted null or ~) means the policy "null".
func (d *decoder) dateEnum(m *mapping, key, def string) string {
	if n := m.get(key); n != nil && isNull(n) {
		return "null"
	}
	return d.enum(m, key, def, datePolicies, nil)
}

func (d *decoder) retry(n *yaml.Node, path string, r *Retry) {
	m := d.mapping(n, path, retryKeys)
	if m == nil {
		return
	}
	r.MaxDuration, _ = d.duration(m, "max_duration", 0, true)
	ib, ibOK := d.duration(m, "initial_backoff", DefaultInitialBackoff, false)
	mb, mbOK := d.duration(m, "max_backoff", DefaultMaxBackoff, false)
	r.InitialBackoff, r.MaxBackoff = ib, mb
	if ibOK && mbOK && mb < ib {
		at := m.get("max_backoff")
		if at == nil {
			at = m.get("initial_backoff")
		}
		d.add(at, path+".max_backoff", "max_backoff (%v) is shorter than initial_backoff (%v): raise max_backoff or lower initial_backoff", mb, ib)
	}
}

// globs reads a list of globs over names of minDots+1 dot-separated parts.
func (d *decoder) globs(m *mapping, key string, minDots int) []string {
	n := m.get(key)
	if n == nil || isNull(n) {
		return nil
	}
	path := m.sub(key)
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, `want a list of globs, e.g. ["shop.*"], got %s`, kindName(n))
		return nil
	}
	var out []string
	for i, e := range n.Content {
		e = resolve(e)
		epath := fmt.Sprintf("%s[%d]", path, i)
		v, ok := d.scalar(e, epath, "a glob")
		if !ok {
			continue
		}
		if msg := checkGlob(v, minDots); msg != "" {
			d.add(e, epath, "%s %s", show(e), msg)
			continue
		}
		out = append(out, v)
	}
	return out
}

func checkGlob(g string, minDots int) string {
	if g == "" {
		return "is empty: write a glob"
	}
	if _, err := matchGlob(g, ""); err != nil {
		return "is not a valid glob (path.Match syntax: *, ?, [a-z], \\ escapes)"
	}
	if !strings.ContainsAny(g, "*?[") && strings.Count(g, ".") < minDots {
		if minDots == 1 {
			return fmt.Sprintf("can never match: globs match database.table; write %q for every table of database %s", g+".*", g)
		}
		return "can never match: globs match database.table.column"
	}
	return ""
}

// lookupKey returns the value of key in mapping n, following merge keys,
// or nil.
func lookupKey(n *yaml.Node, key string, depth int) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 10 {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Tag == "!!merge" {
			merges = append(merges, resolve(n.Content[i+1]))
		} else if k.Kind == yaml.ScalarNode && k.Value == key {
			return resolve(n.Content[i+1])
		}
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			if v := lookupKey(s, key, depth+1); v != nil {
				return v
			}
		}
	}
	return nil
}
