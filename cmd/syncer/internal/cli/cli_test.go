package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
)

// corpusDir returns the shared binlog corpus next to the repository; it
// skips when it is missing, except with CI=true.
func corpusDir(t *testing.T) string { return testcorpus.Dir(t) }

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

// lines splits output into decoded JSON objects.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("line is not a JSON object: %v\n%s", err, l)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{nil, 2, "", "Usage:\n  syncer <command>", true},
		{[]string{"--help"}, 0, "binlog dump    print the events of binlog files as JSON lines", "", false},
		{[]string{"help"}, 0, "Commands:", "", false},
		{[]string{"frobnicate"}, 2, "", "syncer: unknown command \"frobnicate\"", true},
		{[]string{"binlog"}, 2, "", "syncer binlog <command>", true},
		{[]string{"binlog", "--help"}, 0, "binlog dump", "", false},
		{[]string{"binlog", "frob"}, 2, "", "syncer: unknown command \"binlog frob\"", true},
		{[]string{"binlog", "dump", "--help"}, 0, "--start-position N", "", false},
		{[]string{"help", "binlog", "dump"}, 0, "--stop-position N", "", false},
		{[]string{"binlog", "dump"}, 2, "", "syncer: binlog dump needs at least one FILE\nRun 'syncer binlog dump --help' for usage.\n", true},
		{[]string{"binlog", "dump", "--nope", "f"}, 2, "", "syncer: flag provided but not defined: -nope\n", true},
		{[]string{"binlog", "dump", "--start-position", "x", "f"}, 2, "", "invalid value \"x\" for flag -start-position", true},
		{[]string{"binlog", "dump", "--start-position", "2", "f"}, 2, "", "--start-position 2 is inside the 4-byte magic number", true},
		{[]string{"binlog", "dump", "--start-position", "100", "--stop-position", "50", "f"}, 2, "", "--stop-position 50 must be greater than --start-position 100", true},
		{[]string{"binlog", "dump", "--tables", "nodot", "f"}, 2, "", "--tables: \"nodot\" is not schema.table", true},
		{[]string{"binlog", "dump", "--tables", "a.[", "f"}, 2, "", "--tables: bad pattern \"a.[\"", true},
		{[]string{"binlog", "dump", "--types", "QUERY,NOPE", "f"}, 2, "", "--types: unknown event type \"NOPE\"", true},
		{[]string{"version"}, 0, "syncer ", "", false},
		{[]string{"version", "extra"}, 2, "", "syncer: version takes no arguments", true},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(c.args...)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", c.args, code, c.code, errOut)
		}
		if c.stdout != "" && !strings.Contains(out, c.stdout) {
			t.Errorf("%q: stdout %q lacks %q", c.args, out, c.stdout)
		}
		if c.stderr != "" && !strings.Contains(errOut, c.stderr) {
			t.Errorf("%q: stderr %q lacks %q", c.args, errOut, c.stderr)
		}
		if c.noStdout && out != "" {
			t.Errorf("%q: unexpected stdout %q", c.args, out)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI("version")
	if code != 0 || !strings.HasPrefix(out, "syncer ") || !strings.Contains(out, " go1.") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestDumpBadInput(t *testing.T) {
	dir := corpusDir(t)
	tmp := t.TempDir()
	text := filepath.Join(tmp, "notes.txt")
	if err := os.WriteFile(text, []byte("just some text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "binlog.000999")
	enc := filepath.Join(dir, "mysql-server-8.0.43-snapshot/encrypted/rpl_nogtid_encryption_master-bin.000002")
	trunc := filepath.Join(dir, "rust_mysql_common/binlog_truncated_event.000001")
	cases := []struct {
		file   string
		stderr string
	}{
		{missing, "syncer: binlog " + missing + ": open " + missing + ": no such file or directory\n"},
		{text, "syncer: binlog " + text + ":0: not a binlog file (magic 6a 75 73 74, want fe 62 69 6e)\n"},
		{enc, "syncer: binlog " + enc + ":0: binlog is encrypted (magic fd 62 69 6e, MySQL binlog_encryption=ON): decrypt it first"},
		{trunc, "syncer: binlog " + trunc + ":4: decode FORMAT_DESCRIPTION: event at offset 4 is incomplete (only 10 of the 13 header bytes are present): file truncated or still being written: unexpected EOF\n"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI("binlog", "dump", c.file)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", c.file, code)
		}
		if out != "" {
			t.Errorf("%s: stdout %q", c.file, out)
		}
		if !strings.HasPrefix(errOut, c.stderr) {
			t.Errorf("%s: stderr\n%q\nwant prefix\n%q", c.file, errOut, c.stderr)
		}
	}
}

// TestDumpFormatEvent checks a whole line for an event the CLI renders
// itself, and the envelope of every line.
func TestDumpFormatEvent(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "mysql-cdc-rs/5.7/04_rotate/log.bin")
	code, out, errOut := runCLI("binlog", "dump", "--no-verify-checksum", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	first, _, _ := strings.Cut(out, "\n")
	fj, _ := json.Marshal(f)
	want := `{"file":` + string(fj) + `,"pos":4,"type":"FORMAT_DESCRIPTION","header":{"timestamp":1594395533,"server_id":1,"log_pos":123,"flags":0},` +
		`"binlog_version":4,"server_version":"5.7.30-log","flavor":"mysql","create_timestamp":1594395533,"header_length":19,` +
		`"post_header_lengths":[56,13,0,8,0,18,0,4,4,4,4,18,0,0,95,0,4,26,8,0,0,0,8,8,8,2,0,0,0,10,10,10,42,42,0,18,52,0],"checksum":"CRC32"}`
	if first != want {
		t.Errorf("first line\n%s\nwant\n%s", first, want)
	}
	objs := lines(t, out)
	wantTypes := []string{"FORMAT_DESCRIPTION", "PREVIOUS_GTIDS", "ROTATE"}
	wantPos := []string{"4", "123", "154"}
	if len(objs) != len(wantTypes) {
		t.Fatalf("%d lines, want %d:\n%s", len(objs), len(wantTypes), out)
	}
	for i, o := range objs {
		if o["type"] != wantTypes[i] || o["pos"].(json.Number).String() != wantPos[i] || o["file"] != f {
			t.Errorf("line %d: %v", i, o)
		}
		if _, ok := o["header"].(map[string]any); !ok {
			t.Errorf("line %d has no header object", i)
		}
	}
}

func TestDumpPositionsAndTypes(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "mysql-cdc-rs/5.7/04_rotate/log.bin")
	types := func(args ...string) string {
		code, out, errOut := runCLI(append([]string{"binlog", "dump", "--no-verify-checksum"}, args...)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
		var s []string
		for _, o := range lines(t, out) {
			s = append(s, o["type"].(string)+"@"+o["pos"].(json.Number).String())
		}
		return strings.Join(s, " ")
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{f}, "FORMAT_DESCRIPTION@4 PREVIOUS_GTIDS@123 ROTATE@154"},
		{[]string{"--start-position", "154", f}, "ROTATE@154"},
		{[]string{f, "--start-position=123", "--stop-position=154"}, "PREVIOUS_GTIDS@123"},
		{[]string{"--types", "rotate,FORMAT_DESCRIPTION", f}, "FORMAT_DESCRIPTION@4 ROTATE@154"},
		// Two files: start applies to the first, stop to the last.
		{[]string{"--start-position", "154", "--stop-position", "154", f, f}, "ROTATE@154 FORMAT_DESCRIPTION@4 PREVIOUS_GTIDS@123"},
	}
	for _, c := range cases {
		if got := types(c.args...); got != c.want {
			t.Errorf("%q: got %s, want %s", c.args, got, c.want)
		}
	}
}

func TestDumpStats(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "mysql-cdc-rs/5.7/04_rotate/log.bin")
	code, out, errOut := runCLI("binlog", "dump", "--stats", "--no-verify-checksum", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs := lines(t, out)
	if len(objs) != 1 {
		t.Fatalf("want one summary line, got %q", out)
	}
	s := objs[0]
	byType, _ := s["events_by_type"].(map[string]any)
	if s["files"].(json.Number).String() != "1" || s["events"].(json.Number).String() != "3" || s["bytes"].(json.Number).String() != "201" ||
		byType["ROTATE"].(json.Number).String() != "1" || byType["FORMAT_DESCRIPTION"].(json.Number).String() != "1" {
		t.Errorf("summary %s", out)
	}
	for _, k := range []string{"rows", "elapsed_seconds", "rows_per_second", "mb_per_second"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %q: %s", k, out)
		}
	}
}

// TestDumpCorpusValid: every corpus file that must decode gives valid JSON
// lines and exit 0, with the envelope on every line.
func TestDumpCorpusValid(t *testing.T) {
	dir := corpusDir(t)
	for _, rel := range []string{
		"generated-mariadb-10.11/mariadb-bin.000001",
		"rust_mysql_common/transaction_compression.000001",
		"mysql-server-5.x-history/binlog_old_version_4_1.000001",
		"mariadb-server-10.4-snapshot/mdev-4645-binlog_group_id_checksum.binlog",
		"canal/mysql-bin.000001",
	} {
		f := filepath.Join(dir, rel)
		code, out, errOut := runCLI("binlog", "dump", f)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", rel, code, errOut)
			continue
		}
		for i, o := range lines(t, out) {
			if o["file"] != f || o["type"] == nil || o["pos"] == nil || o["header"] == nil {
				t.Errorf("%s line %d lacks the envelope: %v", rel, i, o)
				break
			}
		}
	}
}
