package pipelines

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/seed5aa6e046/syncer/sources/mysql/client"
)

// The keys of each mapping, in documentation order.
var (
	topKeys          = []string{"state_dir", "pipelines"}
	pipelineKeys     = []string{"name", "source", "snapshot", "transforms", "sink", "batch", "policies", "retry"}
	sourceKeys       = []string{"type", "dsn", "server_id", "include", "exclude", "exclude_columns", "start", "heartbeat", "read_timeout", "on_ddl_error", "on_schema_mismatch"}
	startKeys        = []string{"file", "pos", "gtid"}
	postgresSinkKeys = []string{"type", "dsn", "target_schema", "state_schema", "tinyint1_as_boolean", "keyless_tables"}
	batchKeys        = []string{"max_records", "max_bytes", "max_latency"}
	policyKeys       = []string{"drop_column", "drop_table", "truncate", "zero_date", "invalid_date", "nul_in_text", "columns"}
	columnPolicyKeys = []string{"match", "zero_date", "invalid_date", "nul_in_text"}
	retryKeys        = []string{"max_duration", "initial_backoff", "max_backoff"}
	snapshotKeys     = []string{"mode", "chunk_rows", "chunk_bytes", "parallel"}
)

// homeOf names the section each key belongs in, for "belongs under"
// hints on keys written at the wrong level.
var homeOf = func() map[string]string {
	h := map[string]string{}
	for _, s := range []struct {
		name string
		keys []string
	}{
		{"the top level", topKeys}, {"a pipeline", pipelineKeys}, {"source", sourceKeys},
		{"sink", postgresSinkKeys}, {"batch", batchKeys}, {"policies", policyKeys}, {"retry", retryKeys},
		{"snapshot", snapshotKeys},
		{"source.start", startKeys},
	} {
		for _, k := range s.keys {
			if _, dup := h[k]; !dup && k != "type" && k != "dsn" {
				h[k] = s.name
			}
		}
	}
	return h
}()

type entry struct{ key, val *yaml.Node }

// mapping is a validated YAML mapping.
type mapping struct {
	node    *yaml.Node
	path    string
	entries map[string]entry
}

// get returns the value of key (aliases resolved), or nil when absent.
func (m *mapping) get(key string) *yaml.Node {
	if e, ok := m.entries[key]; ok {
		return e.val
	}
	return nil
}

// sub returns the path of key.
func (m *mapping) sub(key string) string {
	if m.path == "" {
		return key
	}
	return m.path + "." + key
}

// mapping checks that n is a mapping whose keys are all in known, reporting
// unknown and duplicate keys, and returns it, or nil when n is no mapping.
// Merge keys (<<: *anchor) are followed.
func (d *decoder) mapping(n *yaml.Node, path string, known []string) *mapping {
	n = resolve(n)
	where := path
	if where == "" {
		where = "the file"
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.add(n, path, "want a mapping with a pipelines: list at the top of the file, got %s", kindName(n))
		} else {
			d.add(n, path, "want a mapping (key: value lines), got %s", kindName(n))
		}
		return nil
	}
	m := &mapping{node: n, path: path, entries: map[string]entry{}}
	d.collect(m, n, known, false, 0)
	return m
}

func (d *decoder) collect(m *mapping, n *yaml.Node, known []string, merged bool, depth int) {
	if depth > 10 {
		return
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, m.path, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		name := k.Value
		if prev, dup := m.entries[name]; dup {
			if !merged {
				d.add(k, m.sub(name), "key %s is given twice (first at line %d): remove one", name, prev.key.Line)
			}
			continue
		}
		if !contains(known, name) {
			if !(m.path == "" && strings.HasPrefix(name, "x-")) {
				d.unknownKey(k, m, name, known)
			}
			continue
		}
		m.entries[name] = entry{key: k, val: v}
	}
	for _, mv := range merges {
		var srcs []*yaml.Node
		switch mv.Kind {
		case yaml.MappingNode:
			srcs = []*yaml.Node{mv}
		case yaml.SequenceNode:
			for _, s := range mv.Content {
				srcs = append(srcs, resolve(s))
			}
		}
		for _, s := range srcs {
			if s.Kind != yaml.MappingNode {
				d.add(s, m.path, "<< merges a mapping, not %s", kindName(s))
				continue
			}
			// Merged keys give way to the mapping's own.
			d.collect(m, s, known, true, depth+1)
		}
	}
}

func (d *decoder) unknownKey(k *yaml.Node, m *mapping, name string, known []string) {
	msg := fmt.Sprintf("unknown key %s", name)
	if s := suggest(name, known); s != "" {
		msg += fmt.Sprintf(": did you mean %s?", s)
	} else if home, ok := homeOf[name]; ok {
		msg += fmt.Sprintf(": %s belongs in %s", name, home)
	} else {
		msg += ": valid keys here are " + strings.Join(known, ", ")
	}
	d.add(k, m.sub(name), "%s", msg)
}

// missing reports the required key absent from m (n nil) or null (n the
// null value).
func (d *decoder) missing(m *mapping, n *yaml.Node, key, hint string) {
	if n != nil {
		d.add(n, m.sub(key), "%s has no value: %s", key, hint)
		return
	}
	d.add(m.node, m.sub(key), "missing required key %s: %s", key, hint)
}

// scalar returns the env-expanded value of a scalar node, reporting
// non-scalars (want describes what the key wants) and expansion errors.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		if want == "" {
			want = "a single value"
		}
		d.add(n, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	v, unset, err := expand(n.Value, d.env)
	if err != nil {
		d.add(n, path, "%s: %v", show(n), err)
		return "", false
	}
	if len(unset) > 0 {
		vars := strings.Join(unset, ", ")
		verb := "is"
		if len(unset) > 1 {
			verb = "are"
		}
		d.add(n, path, "%s: environment variable %s %s not set: export it, or give a default with ${%s:-default}", show(n), vars, verb, unset[0])
		return "", false
	}
	return v, true
}

// enum reads a key with a fixed set of values; bad(v), when not nil, says
// why v is wrong instead of the default message.
func (d *decoder) enum(m *mapping, key, def string, allowed []string, bad func(string) string) string {
	n := m.get(key)
	if n == nil || isNull(n) {
		return def
	}
	v, ok := d.scalar(n, m.sub(key), "one of "+strings.Join(allowed, ", "))
	if !ok {
		return def
	}
	if contains(allowed, v) {
		return v
	}
	msg := fmt.Sprintf("%s is not one of %s", show(n), strings.Join(allowed, ", "))
	if bad != nil {
		shown := v
		if strings.Contains(n.Value, "$") {
			shown = n.Value
		}
		msg = bad(shown)
	} else if s := suggest(v, allowed); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	d.add(n, m.sub(key), "%s", msg)
	return def
}

// integer reads an integer in [lo, hi]; rangeMsg explains the range.
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64, rangeMsg string) (int64, bool) {
	v, ok := d.scalar(n, path, "an integer")
	if !ok {
		return 0, false
	}
	if n.Tag == "!!bool" {
		d.add(n, path, "want an integer, got the boolean %s", show(n))
		return 0, false
	}
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			d.add(n, path, "%s is out of range: %s", show(n), rangeMsg)
		} else {
			d.add(n, path, "want an integer, got %s", show(n))
		}
		return 0, false
	}
	if i < lo || i > hi {
		d.add(n, path, "%s is out of range: %s", show(n), rangeMsg)
		return 0, false
	}
	return i, true
}

func (d *decoder) boolean(m *mapping, key string, def bool) bool {
	n := m.get(key)
	if n == nil || isNull(n) {
		return def
	}
	v, ok := d.scalar(n, m.sub(key), "true or false")
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	d.add(n, m.sub(key), "want true or false, got %s", show(n))
	return def
}

// duration reads a Go duration (300ms, 5s, 1m30s); zeroOK allows 0.
// ok is false when the key was given but bad.
func (d *decoder) duration(m *mapping, key string, def time.Duration, zeroOK bool) (time.Duration, bool) {
	n := m.get(key)
	if n == nil || isNull(n) {
		return def, true
	}
	path := m.sub(key)
	v, ok := d.scalar(n, path, "a duration such as 5s")
	if !ok {
		return def, false
	}
	v = strings.TrimSpace(v)
	if _, err := strconv.ParseFloat(v, 64); err == nil && v != "0" {
		d.add(n, path, "%s has no unit: write e.g. %ss or %sms (units: ns, us, ms, s, m, h)", show(n), v, v)
		return def, false
	}
	dur, err := time.ParseDuration(v)
	if err != nil {
		d.add(n, path, "%s is not a duration: write e.g. 500ms, 5s, 1m30s (units: ns, us, ms, s, m, h)", show(n))
		return def, false
	}
	if dur < 0 || (dur == 0 && !zeroOK) {
		want := "positive"
		if zeroOK {
			want = "0 or positive"
		}
		d.add(n, path, "%s must be %s", show(n), want)
		return def, false
	}
	return dur, true
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([A-Za-z]*)$`)

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
}

// ParseSize parses a byte size: a whole number with an optional unit B,
// KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000); units are
// case-insensitive.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("not a size: write a whole number with an optional unit, e.g. 64MiB (units: B, KiB, MiB, GiB, KB, MB, GB)")
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: use B, KiB, MiB, GiB, KB, MB or GB", m[2])
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("too large")
	}
	return n * mult, nil
}

func (d *decoder) size(m *mapping, key string, def int64) int64 {
	n := m.get(key)
	if n == nil || isNull(n) {
		return def
	}
	path := m.sub(key)
	v, ok := d.scalar(n, path, "a size such as 64MiB")
	if !ok {
		return def
	}
	sz, err := ParseSize(v)
	if err != nil {
		d.add(n, path, "%s: %v", show(n), err)
		return def
	}
	if sz <= 0 {
		d.add(n, path, "%s must be positive", show(n))
		return def
	}
	return sz
}

// DefaultServerID is the replica server id of a pipeline whose source
// gives none: a stable hash of the name into 1000000..1999999.
func DefaultServerID(name string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 1000000 + h.Sum32()%1000000
}

// expand expands ${VAR} and ${VAR:-default} (default when VAR is unset or
// empty) and turns $$ into $. Any other $ is literal. It returns the
// names of unset variables without a default.
func expand(s string, env func(string) (string, bool)) (string, []string, error) {
	if !strings.Contains(s, "$") {
		return s, nil, nil
	}
	var b strings.Builder
	var unset []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("unterminated ${: close it with }, or write $$ for a literal $")
		}
		body := s[i+2 : i+2+end]
		i += 2 + end
		name, def, hasDef := body, "", false
		if j := strings.Index(body, ":-"); j >= 0 {
			name, def, hasDef = body[:j], body[j+2:], true
		}
		if !envNameRE.MatchString(name) {
			return "", nil, fmt.Errorf("${%s} is not a variable reference: write ${NAME} or ${NAME:-default} with NAME made of letters, digits and _, or $$ for a literal $", body)
		}
		v, ok := env(name)
		switch {
		case ok && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			if !contains(unset, name) {
				unset = append(unset, name)
			}
		}
	}
	return b.String(), unset, nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkMySQLDSN returns why dsn is not a valid source DSN, or "". The
// message never holds the password.
func checkMySQLDSN(dsn string) string {
	_, err := client.ParseDSN(dsn)
	if err == nil {
		return ""
	}
	for {
		inner := errors.Unwrap(err)
		if inner == nil || !strings.HasPrefix(err.Error(), "parse DSN ") {
			break
		}
		err = inner
	}
	return scrub(err.Error(), dsn)
}

// checkPostgresDSN returns why dsn is not a valid Postgres connection
// string, or "". The message never holds the password.
func checkPostgresDSN(dsn string) string {
	_, err := pgconn.ParseConfig(dsn)
	if err == nil {
		return ""
	}
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		// "cannot parse `<redacted dsn>`: msg (inner)": keep msg, and of
		// the inner error keep no URL.
		if i := strings.Index(msg, "`: "); i >= 0 {
			msg = msg[i+3:]
		}
		var ue *url.Error
		if errors.As(pce, &ue) {
			if j := strings.LastIndex(msg, " ("); j >= 0 {
				msg = msg[:j] + " (" + ue.Err.Error() + ")"
			}
		}
	}
	return scrub(msg, dsn)
}

var kvPasswordRE = regexp.MustCompile(`(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// scrub removes anything that may be dsn's password from msg.
func scrub(msg, dsn string) string {
	var pws []string
	rest := dsn
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
			pws = append(pws, pw)
			if u, err := url.PathUnescape(pw); err == nil {
				pws = append(pws, u)
			}
		}
	}
	for _, m := range kvPasswordRE.FindAllStringSubmatch(dsn, -1) {
		pws = append(pws, m[1], strings.Trim(m[1], "'"))
	}
	for _, q := range []string{"password=", "pass="} {
		if i := strings.Index(dsn, q); i >= 0 {
			v := dsn[i+len(q):]
			if j := strings.IndexAny(v, "&;"); j >= 0 {
				v = v[:j]
			}
			pws = append(pws, v)
		}
	}
	for _, pw := range pws {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	// Parsers quote pieces of their input: hide every quoted piece that
	// shares three characters with a password.
	return quotedRE.ReplaceAllStringFunc(msg, func(q string) string {
		for _, pw := range pws {
			if overlaps(q, pw) {
				return `"xxxxx"`
			}
		}
		return q
	})
}

var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|` + "`[^`]*`")

func overlaps(s, pw string) bool {
	if pw == "" {
		return false
	}
	if len(pw) < 3 {
		return strings.Contains(s, pw)
	}
	for i := 0; i+3 <= len(pw); i++ {
		if strings.Contains(s, pw[i:i+3]) {
			return true
		}
	}
	return false
}

// show quotes a scalar as written in the file, before ${VAR} expansion, so
// that errors never show a value from the environment.
func show(n *yaml.Node) string {
	if n == nil {
		return `""`
	}
	return strconv.Quote(n.Value)
}

// showDSN is show with the password of a DSN written in the file masked,
// unless it is a ${VAR} reference.
func showDSN(n *yaml.Node) string {
	v := n.Value
	prefix, rest := "", v
	if i := strings.Index(v, "://"); i >= 0 {
		prefix, rest = v[:i+3], v[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" && !isRef(pw) {
			rest = user + ":xxxxx" + rest[at:]
		}
	}
	v = prefix + rest
	v = kvPasswordRE.ReplaceAllStringFunc(v, func(m string) string {
		sub := kvPasswordRE.FindStringSubmatch(m)
		if isRef(strings.Trim(sub[1], "'")) {
			return m
		}
		return strings.TrimSuffix(m, sub[1]) + "xxxxx"
	})
	v = queryPasswordRE.ReplaceAllString(v, "${1}xxxxx")
	return strconv.Quote(v)
}

var queryPasswordRE = regexp.MustCompile(`([?&]password=)[^&$]*`)

func isRef(s string) bool {
	return strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") && strings.Count(s, "${") == 1
}

func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func nonNull(n *yaml.Node) *yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	return n
}

func kindName(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return "the string " + show(n)
	}
	return "nothing"
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// suggest returns the candidate closest to s, if close enough to be a
// plausible typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		dist := levenshtein(ls, strings.ToLower(c))
		if dist < bestD {
			best, bestD = c, dist
		}
	}
	limit := max(1, min(3, len(s)/3))
	if bestD <= limit || (best != "" && strings.EqualFold(strings.ReplaceAll(s, "-", "_"), best)) {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
