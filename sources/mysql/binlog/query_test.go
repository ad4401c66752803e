package binlog

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

// queryBody builds a QUERY body with the 13-byte post-header.
func queryBody(threadID uint32, db string, status []byte, query []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, threadID)
	b = binary.LittleEndian.AppendUint32(b, 3) // exec_time
	b = append(b, byte(len(db)))
	b = binary.LittleEndian.AppendUint16(b, 0) // error_code
	b = binary.LittleEndian.AppendUint16(b, uint16(len(status)))
	b = append(b, status...)
	b = append(b, db...)
	b = append(b, 0)
	return append(b, query...)
}

func u16le(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func u32le(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64le(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestQueryCorpusMySQL57(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-cdc-rs/5.7/14_user_var/log.bin")
	qs := bodies[*QueryEvent](evs)
	if len(qs) != 4 {
		t.Fatalf("got %d QUERY events, want 4", len(qs))
	}
	q := qs[0]
	if q.ThreadID != 18 || q.ExecTime != 0 || q.ErrorCode != 0 {
		t.Errorf("thread/exec/error = %d/%d/%d, want 18/0/0", q.ThreadID, q.ExecTime, q.ErrorCode)
	}
	sv := q.StatusVars
	if sv.SQLMode == nil || sv.SQLMode.Bits != 1436549152 {
		t.Fatalf("sql_mode = %v, want 1436549152", sv.SQLMode)
	}
	wantModes := []string{"ONLY_FULL_GROUP_BY", "STRICT_TRANS_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE",
		"ERROR_FOR_DIVISION_BY_ZERO", "NO_AUTO_CREATE_USER", "NO_ENGINE_SUBSTITUTION"}
	if got := sv.SQLMode.Names(); !reflect.DeepEqual(got, wantModes) {
		t.Errorf("sql_mode names = %v, want %v", got, wantModes)
	}
	if sv.Charset == nil || *sv.Charset != (QueryCharset{Client: 33, Connection: 33, Server: 45}) {
		t.Errorf("charset = %+v, want 33/33/45", sv.Charset)
	}
	if sv.Flags2 == nil || *sv.Flags2 != 0 {
		t.Errorf("flags2 = %v, want 0", sv.Flags2)
	}
	if sv.Catalog == nil || *sv.Catalog != "std" {
		t.Errorf("catalog = %v, want std", sv.Catalog)
	}
	if sv.UnknownCode != nil {
		t.Errorf("unexpected unknown status var %d", *sv.UnknownCode)
	}
	if !strings.HasPrefix(qs[1].Query, "CREATE TABLE `boxercrab`") {
		t.Errorf("second query = %q", qs[1].Query)
	}
	if qs[2].Query != "BEGIN" {
		t.Errorf("third query = %q, want BEGIN", qs[2].Query)
	}
	if qs[3].Query != "INSERT INTO `boxercrab` (`str`, `int`, `dec`) VALUES (@val_s, @val_i, @val_d)" {
		t.Errorf("fourth query = %q", qs[3].Query)
	}
	// 5.7 writes Q_UPDATED_DB_NAMES for DML.
	if got := qs[3].StatusVars.UpdatedDBNames; len(got) != 1 || got[0] != "default" {
		t.Errorf("updated db names = %v, want [default]", got)
	}
	if js := jsonOf(t, q); !strings.Contains(js, `"sql_mode":["ONLY_FULL_GROUP_BY",`) || !strings.Contains(js, `"query":"`) {
		t.Errorf("JSON lacks sql_mode names or query: %s", js)
	}
}

func TestQueryCorpusMySQL80StatusVars(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_xa_commit.000001")
	q := bodies[*QueryEvent](evs)[0]
	if q.Schema != "test" || q.ThreadID != 8 {
		t.Errorf("schema/thread = %q/%d", q.Schema, q.ThreadID)
	}
	sv := q.StatusVars
	if sv.Charset == nil || *sv.Charset != (QueryCharset{255, 255, 255}) {
		t.Errorf("charset = %+v, want 255/255/255", sv.Charset)
	}
	if sv.DefaultCollationForUTF8MB4 == nil || *sv.DefaultCollationForUTF8MB4 != 255 {
		t.Errorf("default_collation_for_utf8mb4 = %v, want 255", sv.DefaultCollationForUTF8MB4)
	}
}

// Binlog v3 (MySQL 4.1) QUERY events have an 11-byte post-header and no
// status variables.
func TestQueryCorpusBinlogV3(t *testing.T) {
	qs := bodies[*QueryEvent](decodeCorpusFile(t, "mysql-server-5.x-history/binlog_old_version_4_1.000001"))
	want := []string{
		"CREATE TABLE t1 (a int, b char(50)) ENGINE = MyISAM",
		"CREATE TABLE t3 (a char(20))",
		"INSERT INTO t1 VALUES (@x, 'four')",
		"INSERT INTO t1 VALUES (RAND() * 1000000, 'random')",
		"INSERT INTO t1 VALUES (LAST_INSERT_ID(), 'last_insert_id')",
	}
	if len(qs) != len(want) {
		t.Fatalf("got %d queries, want %d", len(qs), len(want))
	}
	for i, q := range qs {
		if q.Query != want[i] || q.Schema != "test" || q.ThreadID != 1 {
			t.Errorf("query %d = %q in %q by %d", i, q.Query, q.Schema, q.ThreadID)
		}
		if !reflect.DeepEqual(q.StatusVars, StatusVars{}) {
			t.Errorf("query %d has status vars %+v", i, q.StatusVars)
		}
	}
}

func TestQueryCompressedCorpus(t *testing.T) {
	evs := decodeCorpusFile(t, "generated-mariadb-10.11/mariadb-bin.000001")
	var compressed []*QueryEvent
	for _, q := range bodies[*QueryEvent](evs) {
		if q.Compressed {
			compressed = append(compressed, q)
		}
	}
	if len(compressed) != 3 {
		t.Fatalf("got %d QUERY_COMPRESSED, want 3", len(compressed))
	}
	if !strings.HasPrefix(compressed[0].Query, "CREATE TABLE all_types (\n  id I") {
		t.Errorf("first compressed query = %.40q", compressed[0].Query)
	}
	if !strings.HasPrefix(compressed[1].Query, "CREATE TABLE t_big (id INT PRI") {
		t.Errorf("second compressed query = %.40q", compressed[1].Query)
	}
	if !strings.HasPrefix(compressed[2].Query, "ALTER TABLE t_big ADD COLUMN") {
		t.Errorf("third compressed query = %.40q", compressed[2].Query)
	}
	// MariaDB DDL carries Q_XID.
	if x := compressed[0].StatusVars.MariaXID; x == nil || *x != 6 {
		t.Errorf("Q_XID = %v, want 6", x)
	}
	if cs := compressed[0].StatusVars.Charset; cs == nil || *cs != (QueryCharset{33, 33, 8}) {
		t.Errorf("charset = %+v, want 33/33/8", cs)
	}
}

// Every MySQL status variable code, hand-built, decodes into its field.
func TestQueryStatusVarsMySQLAll(t *testing.T) {
	status := cat(
		[]byte{qFlags2Code}, u32le(0x0c084000),
		[]byte{qSQLModeCode}, u64le(0x1|0x100000000|0x200000000|0x400000000),
		[]byte{qCatalogCode, 3}, []byte("std\x00"),
		[]byte{qAutoIncrementCode}, u16le(5), u16le(2),
		[]byte{qCharsetCode}, u16le(33), u16le(45), u16le(8),
		[]byte{qTimeZoneCode, 6}, []byte("+02:00"),
		[]byte{qCatalogNZCode, 3}, []byte("def"),
		[]byte{qLCTimeNamesCode}, u16le(7),
		[]byte{qCharsetDatabaseCode}, u16le(224),
		[]byte{qTableMapForUpdateCode}, u64le(0b101),
		[]byte{qMasterDataWrittenCode}, u32le(4242),
		[]byte{qInvokerCode, 4}, []byte("root"), []byte{9}, []byte("localhost"),
		[]byte{qUpdatedDBNamesCode, 2}, []byte("db1\x00db2\x00"),
		[]byte{qMicrosecondsCode, 0x3f, 0x42, 0x0f}, // 999999
		[]byte{qCommitTSCode}, u64le(77),
		[]byte{qExplicitDefaultsForTimestamp, 1},
		[]byte{qDDLLoggedWithXIDCode}, u64le(123456789),
		[]byte{qDefaultCollationForUTF8MB4Code}, u16le(255),
		[]byte{qSQLRequirePrimaryKeyCode, 1},
		[]byte{qDefaultTableEncryptionCode, 0},
		[]byte{qEnableCascadeTriggersCode, 1},
	)
	d := newTestDecoder(t, FlavorMySQL)
	q := mustBody[*QueryEvent](t, d, QueryEventType, queryBody(42, "shop", status, []byte("SELECT 1")))
	sv := q.StatusVars
	ptr := func(p any) any { return reflect.ValueOf(p).Elem().Interface() }
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"flags2", ptr(sv.Flags2), uint32(0x0c084000)},
		{"catalog", ptr(sv.Catalog), "def"}, // the later NZ code wins
		{"auto_increment_increment", ptr(sv.AutoIncrementIncrement), uint16(5)},
		{"auto_increment_offset", ptr(sv.AutoIncrementOffset), uint16(2)},
		{"charset", ptr(sv.Charset), QueryCharset{33, 45, 8}},
		{"time_zone", ptr(sv.TimeZone), "+02:00"},
		{"lc_time_names", ptr(sv.LCTimeNames), uint16(7)},
		{"collation_database", ptr(sv.CollationDatabase), uint16(224)},
		{"table_map_for_update", ptr(sv.TableMapForUpdate), uint64(5)},
		{"master_data_written", ptr(sv.MasterDataWritten), uint32(4242)},
		{"invoker", ptr(sv.Invoker), Invoker{"root", "localhost"}},
		{"updated_db_names", sv.UpdatedDBNames, []string{"db1", "db2"}},
		{"microseconds", ptr(sv.Microseconds), uint32(999999)},
		{"commit_seq_no", ptr(sv.CommitSeqNo), uint64(77)},
		{"explicit_defaults_for_timestamp", ptr(sv.ExplicitDefaultsForTimestamp), true},
		{"ddl_xid", ptr(sv.DDLXID), uint64(123456789)},
		{"default_collation_for_utf8mb4", ptr(sv.DefaultCollationForUTF8MB4), uint16(255)},
		{"sql_require_primary_key", ptr(sv.SQLRequirePrimaryKey), uint8(1)},
		{"default_table_encryption", ptr(sv.DefaultTableEncryption), uint8(0)},
		{"enable_cascade_triggers", ptr(sv.EnableCascadeTriggers), uint8(1)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	wantModes := []string{"REAL_AS_FLOAT", "TIME_TRUNCATE_FRACTIONAL", "INTERPRET_UTF8_AS_UTF8MB4", "0x400000000"}
	if got := sv.SQLMode.Names(); !reflect.DeepEqual(got, wantModes) {
		t.Errorf("sql_mode = %v, want %v", got, wantModes)
	}
	if sv.UnknownCode != nil || q.Query != "SELECT 1" || q.Schema != "shop" || q.ThreadID != 42 || q.ExecTime != 3 {
		t.Errorf("query event = %+v", q)
	}
	js := jsonOf(t, q)
	for _, want := range []string{`"invoker":{"user":"root","host":"localhost"}`, `"updated_db_names":["db1","db2"]`, `"time_zone":"+02:00"`} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s: %s", want, js)
		}
	}
}

// Every MariaDB status variable code; MariaDB reads bit 4 of sql_mode and
// the high bits differently from MySQL.
func TestQueryStatusVarsMariaDBAll(t *testing.T) {
	status := cat(
		[]byte{qFlags2Code}, u32le(0x01000000),
		[]byte{qSQLModeCode}, u64le(0x10|0x100000000|0x400000000),
		[]byte{qMariaCharacterSetCollationsCode, 2}, u16le(45), u16le(2347), u16le(33), u16le(192),
		[]byte{qCharsetCode}, u16le(33), u16le(33), u16le(8),
		[]byte{qMariaHRNowCode, 0x01, 0x00, 0x00},
		[]byte{qMariaXIDCode}, u64le(99),
		[]byte{qMariaGTIDFlags3Code, MariaGTIDExtraCommitAlter}, u64le(314),
	)
	d := newTestDecoder(t, FlavorMariaDB)
	q := mustBody[*QueryEvent](t, d, QueryEventType, queryBody(5, "", status, []byte("ALTER TABLE t ADD c INT")))
	sv := q.StatusVars
	if got := sv.SQLMode.Names(); !reflect.DeepEqual(got, []string{"IGNORE_BAD_TABLE_OPTIONS", "EMPTY_STRING_IS_NULL", "TIME_ROUND_FRACTIONAL"}) {
		t.Errorf("sql_mode = %v", got)
	}
	if !reflect.DeepEqual(sv.MariaCharacterSetCollations, []CharsetCollation{{45, 2347}, {33, 192}}) {
		t.Errorf("character_set_collations = %v", sv.MariaCharacterSetCollations)
	}
	if sv.Microseconds == nil || *sv.Microseconds != 1 {
		t.Errorf("hrnow = %v, want 1", sv.Microseconds)
	}
	if sv.MariaXID == nil || *sv.MariaXID != 99 {
		t.Errorf("xid = %v, want 99", sv.MariaXID)
	}
	if sv.MariaGTIDFlags3 == nil || *sv.MariaGTIDFlags3 != MariaGTIDExtraCommitAlter || sv.MariaStartAlterSeqNo == nil || *sv.MariaStartAlterSeqNo != 314 {
		t.Errorf("gtid_flags3 = %v, start alter = %v", sv.MariaGTIDFlags3, sv.MariaStartAlterSeqNo)
	}
	if q.Query != "ALTER TABLE t ADD c INT" || q.Schema != "" {
		t.Errorf("query %q schema %q", q.Query, q.Schema)
	}
}

// An unknown code stops parsing without error; what follows is kept. The
// same code is known to one flavor and unknown to the other.
func TestQueryStatusVarsUnknownCode(t *testing.T) {
	for _, tc := range []struct {
		flavor Flavor
		code   byte
	}{
		{FlavorMySQL, qMariaHRNowCode},
		{FlavorMySQL, qCommitTS2Code},
		{FlavorMySQL, 22},
		{FlavorMariaDB, qUpdatedDBNamesCode},
		{FlavorMariaDB, qMicrosecondsCode},
		{FlavorMariaDB, 132},
	} {
		status := cat([]byte{qFlags2Code}, u32le(1), []byte{tc.code, 1, 2, 3}, []byte{qCharsetCode}, u16le(8), u16le(8), u16le(8))
		d := newTestDecoder(t, tc.flavor)
		q := mustBody[*QueryEvent](t, d, QueryEventType, queryBody(1, "db", status, []byte("DO 1")))
		sv := q.StatusVars
		if sv.UnknownCode == nil || *sv.UnknownCode != tc.code {
			t.Errorf("%s code %d: unknown code = %v", tc.flavor, tc.code, sv.UnknownCode)
		}
		if !bytes.Equal(sv.Unparsed, status[5:]) {
			t.Errorf("%s code %d: unparsed = % x, want % x", tc.flavor, tc.code, sv.Unparsed, status[5:])
		}
		if sv.Flags2 == nil || *sv.Flags2 != 1 || sv.Charset != nil {
			t.Errorf("%s code %d: flags2 %v charset %v", tc.flavor, tc.code, sv.Flags2, sv.Charset)
		}
		if q.Query != "DO 1" || q.Schema != "db" {
			t.Errorf("%s code %d: query %q schema %q", tc.flavor, tc.code, q.Query, q.Schema)
		}
	}
}

func TestQueryUpdatedDBNamesOverMax(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	status := cat([]byte{qUpdatedDBNamesCode, 254}, []byte{qMicrosecondsCode, 5, 0, 0})
	q := mustBody[*QueryEvent](t, d, QueryEventType, queryBody(1, "", status, []byte("x")))
	if !q.StatusVars.UpdatedDBNamesOverMax || q.StatusVars.UpdatedDBNames != nil {
		t.Errorf("over max = %v names = %v", q.StatusVars.UpdatedDBNamesOverMax, q.StatusVars.UpdatedDBNames)
	}
	if m := q.StatusVars.Microseconds; m == nil || *m != 5 {
		t.Errorf("microseconds after the over-max marker = %v, want 5", m)
	}
}

func TestQueryCompressedHandBuilt(t *testing.T) {
	d := newTestDecoder(t, FlavorMariaDB)
	text := strings.Repeat("INSERT INTO t VALUES (1);", 40)
	body := queryBody(9, "db", nil, mariaCompress(t, []byte(text), 2))
	q := mustBody[*QueryEvent](t, d, MariaQueryCompressedEventType, body)
	if q.Query != text || !q.Compressed {
		t.Errorf("query %.30q compressed %v", q.Query, q.Compressed)
	}
	body[len(body)-3] ^= 0xff // corrupt the zlib stream
	if _, err := decodeBody(t, d, MariaQueryCompressedEventType, body); err == nil || !strings.Contains(err.Error(), "MARIA_QUERY_COMPRESSED") {
		t.Errorf("corrupt stream: err = %v", err)
	}
}

func TestQueryErrors(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"short post-header", []byte{1, 2, 3}, "thread_id"},
		{"status vars past the end", queryBody(1, "db", nil, nil)[:11], "status_vars_len"},
		{"db past the end", func() []byte { b := queryBody(1, "", nil, nil); b[8] = 9; return b }(), "db at offset 13"},
		{"truncated sql_mode", queryBody(1, "", []byte{qSQLModeCode, 1, 2}, nil), "status variable code 1 at offset 0"},
		{"truncated invoker", queryBody(1, "", []byte{qInvokerCode, 5, 'a'}, nil), "invoker user"},
		{"zero updated dbs", queryBody(1, "", []byte{qUpdatedDBNamesCode, 0}, nil), "updated db count is 0"},
		{"unterminated db name", queryBody(1, "", []byte{qUpdatedDBNamesCode, 1, 'a'}, nil), "NUL terminator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBody(t, d, QueryEventType, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "decode QUERY") {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func FuzzQuery(f *testing.F) {
	f.Add(false, queryBody(1, "db", []byte{qFlags2Code, 0, 0, 0, 0, qCharsetCode, 33, 0, 33, 0, 8, 0}, []byte("BEGIN")))
	f.Add(true, queryBody(1, "db", []byte{qMariaGTIDFlags3Code, 4, 1, 2, 3, 4, 5, 6, 7, 8, qMariaCharacterSetCollationsCode, 1, 1, 0, 2, 0}, []byte("x")))
	f.Add(false, queryBody(1, "", []byte{qUpdatedDBNamesCode, 2, 'a', 0, 'b', 0, qInvokerCode, 1, 'u', 1, 'h'}, nil))
	f.Fuzz(func(t *testing.T, maria bool, body []byte) {
		flavor := FlavorMySQL
		if maria {
			flavor = FlavorMariaDB
		}
		d := newTestDecoder(t, flavor)
		for _, typ := range []EventType{QueryEventType, MariaQueryCompressedEventType, ExecuteLoadQueryEventType} {
			ev, err := decodeBody(t, d, typ, body)
			if err != nil {
				continue
			}
			q := ev.Body
			if _, err := jsonMarshal(q); err != nil {
				t.Fatalf("%s decoded but does not render as JSON: %v", typ, err)
			}
		}
	})
}
