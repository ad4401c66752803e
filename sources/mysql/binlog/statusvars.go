package binlog

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
)

// Status variable codes of QUERY events. Codes 0-11 mean the same in MySQL
// and MariaDB; 12 and up are MySQL's (libs/mysql/binlog/event/
// statement_events.h), 128 and up MariaDB's (sql/log_event.h). Each server
// stops reading at a code it does not know, so MariaDB never reads 12-21
// and MySQL never reads 128+.
const (
	qFlags2Code                      = 0
	qSQLModeCode                     = 1
	qCatalogCode                     = 2 // MySQL 5.0.0-5.0.3: NUL-terminated
	qAutoIncrementCode               = 3
	qCharsetCode                     = 4
	qTimeZoneCode                    = 5
	qCatalogNZCode                   = 6
	qLCTimeNamesCode                 = 7
	qCharsetDatabaseCode             = 8
	qTableMapForUpdateCode           = 9
	qMasterDataWrittenCode           = 10
	qInvokerCode                     = 11
	qUpdatedDBNamesCode              = 12
	qMicrosecondsCode                = 13
	qCommitTSCode                    = 14
	qCommitTS2Code                   = 15
	qExplicitDefaultsForTimestamp    = 16
	qDDLLoggedWithXIDCode            = 17
	qDefaultCollationForUTF8MB4Code  = 18
	qSQLRequirePrimaryKeyCode        = 19
	qDefaultTableEncryptionCode      = 20
	qEnableCascadeTriggersCode       = 21
	qMariaHRNowCode                  = 128
	qMariaXIDCode                    = 129
	qMariaGTIDFlags3Code             = 130
	qMariaCharacterSetCollationsCode = 131
)

// maxDBsInEventMTS is MAX_DBS_IN_EVENT_MTS: a larger count in
// Q_UPDATED_DB_NAMES means "too many databases to list" (the server writes
// OVER_MAX_DBS_IN_EVENT_MTS, 254, and no names).
const maxDBsInEventMTS = 16

// MariaDB Gtid_log_event extra flags, also carried by Q_GTID_FLAGS3.
const (
	MariaGTIDExtraMultiEngine   uint8 = 0x01 // FL_EXTRA_MULTI_ENGINE_E1
	MariaGTIDExtraStartAlter    uint8 = 0x02 // FL_START_ALTER_E1
	MariaGTIDExtraCommitAlter   uint8 = 0x04 // FL_COMMIT_ALTER_E1
	MariaGTIDExtraRollbackAlter uint8 = 0x08 // FL_ROLLBACK_ALTER_E1
	MariaGTIDExtraThreadID      uint8 = 0x10 // FL_EXTRA_THREAD_ID (11.5+)
)

// QueryCharset is Q_CHARSET_CODE: three collation ids.
type QueryCharset struct {
	Client     uint16 `json:"character_set_client"`
	Connection uint16 `json:"collation_connection"`
	Server     uint16 `json:"collation_server"`
}

// Invoker is Q_INVOKER: the definer used for CURRENT_USER() in account
// management and CREATE ... DEFINER statements.
type Invoker struct {
	User string `json:"user"`
	Host string `json:"host"`
}

// CharsetCollation is one pair of MariaDB's character_set_collations: the
// collation to use when character set Charset is named without one.
type CharsetCollation struct {
	Charset   uint16 `json:"charset"`
	Collation uint16 `json:"collation"`
}

// StatusVars holds the status variables of a QUERY event. A nil pointer or
// empty value means the variable was not written.
type StatusVars struct {
	// Flags2 is thd->options & OPTIONS_WRITTEN_TO_BIN_LOG (autocommit,
	// foreign_key_checks, unique_checks, sql_auto_is_null).
	Flags2  *uint32  `json:"flags2,omitempty"`
	SQLMode *SQLMode `json:"sql_mode,omitempty"`
	// Catalog is always "std" when present (Q_CATALOG_NZ_CODE, or the old
	// NUL-terminated Q_CATALOG_CODE of MySQL 5.0.0-5.0.3).
	Catalog                *string       `json:"catalog,omitempty"`
	AutoIncrementIncrement *uint16       `json:"auto_increment_increment,omitempty"`
	AutoIncrementOffset    *uint16       `json:"auto_increment_offset,omitempty"`
	Charset                *QueryCharset `json:"charset,omitempty"`
	TimeZone               *string       `json:"time_zone,omitempty"`
	// LCTimeNames is the lc_time_names locale number (0 is en_US).
	LCTimeNames *uint16 `json:"lc_time_names,omitempty"`
	// CollationDatabase is the default database's collation id.
	CollationDatabase *uint16 `json:"collation_database,omitempty"`
	// TableMapForUpdate has one bit per table a multi-table UPDATE writes.
	TableMapForUpdate *uint64 `json:"table_map_for_update,omitempty"`
	// MasterDataWritten is the original event size, in relay logs of a
	// pre-5.0 source.
	MasterDataWritten *uint32  `json:"master_data_written,omitempty"`
	Invoker           *Invoker `json:"invoker,omitempty"`
	// UpdatedDBNames lists the databases the statement changes (MySQL
	// Q_UPDATED_DB_NAMES, for the multi-threaded replica).
	UpdatedDBNames []string `json:"updated_db_names,omitempty"`
	// UpdatedDBNamesOverMax is set when the statement changed more than 16
	// databases and the server listed none.
	UpdatedDBNamesOverMax bool `json:"updated_db_names_over_max,omitempty"`
	// Microseconds is the sub-second part of the event timestamp (MySQL
	// Q_MICROSECONDS, MariaDB Q_HRNOW).
	Microseconds *uint32 `json:"microseconds,omitempty"`
	// CommitSeqNo is Q_COMMIT_TS of MySQL 5.7 development milestones.
	CommitSeqNo                  *uint64 `json:"commit_seq_no,omitempty"`
	ExplicitDefaultsForTimestamp *bool   `json:"explicit_defaults_for_timestamp,omitempty"`
	// DDLXID is the XID of an atomic DDL statement (MySQL 8.0).
	DDLXID                     *uint64 `json:"ddl_xid,omitempty"`
	DefaultCollationForUTF8MB4 *uint16 `json:"default_collation_for_utf8mb4,omitempty"`
	SQLRequirePrimaryKey       *uint8  `json:"sql_require_primary_key,omitempty"`
	DefaultTableEncryption     *uint8  `json:"default_table_encryption,omitempty"`
	EnableCascadeTriggers      *uint8  `json:"enable_cascade_triggers,omitempty"`

	// MariaXID is MariaDB's Q_XID: the XID of a DDL statement.
	MariaXID *uint64 `json:"xid,omitempty"`
	// MariaGTIDFlags3 is MariaDB's Q_GTID_FLAGS3 (the MariaGTIDExtra*
	// flags of the GTID event, for two-phase ALTER).
	MariaGTIDFlags3 *uint8 `json:"gtid_flags3,omitempty"`
	// MariaStartAlterSeqNo is the GTID sequence number of the START ALTER
	// that a COMMIT/ROLLBACK ALTER completes.
	MariaStartAlterSeqNo *uint64 `json:"start_alter_seq_no,omitempty"`
	// MariaCharacterSetCollations is MariaDB 11's character_set_collations.
	MariaCharacterSetCollations []CharsetCollation `json:"character_set_collations,omitempty"`

	// UnknownCode is the first status variable code this decoder (like
	// the server) does not know; parsing stopped there and Unparsed holds
	// that code and every byte after it.
	UnknownCode *uint8 `json:"unknown_code,omitempty"`
	Unparsed    []byte `json:"unparsed,omitempty"`
}

// decodeStatusVars reads the status variable block of a QUERY event. Each
// variable is a one-byte code and a value whose layout depends on the code:
//
//	code name                              value
//	0    Q_FLAGS2_CODE                     4 bytes
//	1    Q_SQL_MODE_CODE                   8 bytes
//	2    Q_CATALOG_CODE                    1-byte length, string, NUL
//	3    Q_AUTO_INCREMENT                  2 bytes increment, 2 bytes offset
//	4    Q_CHARSET_CODE                    2 bytes each: client, connection, server
//	5    Q_TIME_ZONE_CODE                  1-byte length, string
//	6    Q_CATALOG_NZ_CODE                 1-byte length, string
//	7    Q_LC_TIME_NAMES_CODE              2 bytes
//	8    Q_CHARSET_DATABASE_CODE           2 bytes
//	9    Q_TABLE_MAP_FOR_UPDATE_CODE       8 bytes
//	10   Q_MASTER_DATA_WRITTEN_CODE        4 bytes
//	11   Q_INVOKER                         1-byte length, user, 1-byte length, host
//	MySQL only:
//	12   Q_UPDATED_DB_NAMES                1-byte count, count NUL-terminated names
//	                                       (count > 16: no names follow)
//	13   Q_MICROSECONDS                    3 bytes
//	14   Q_COMMIT_TS                       8 bytes (5.7 milestones)
//	15   Q_COMMIT_TS2                      never read by any server: stops parsing
//	16   Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP 1 byte
//	17   Q_DDL_LOGGED_WITH_XID             8 bytes
//	18   Q_DEFAULT_COLLATION_FOR_UTF8MB4   2 bytes
//	19   Q_SQL_REQUIRE_PRIMARY_KEY         1 byte
//	20   Q_DEFAULT_TABLE_ENCRYPTION        1 byte
//	21   Q_ENABLE_CASCADE_TRIGGERS         1 byte (MySQL 9.x)
//	MariaDB only:
//	128  Q_HRNOW                           3 bytes
//	129  Q_XID                             8 bytes
//	130  Q_GTID_FLAGS3                     1 byte; 8 more (start alter
//	                                       seq_no) with COMMIT/ROLLBACK ALTER
//	131  Q_CHARACTER_SET_COLLATIONS        1-byte count, count x (2-byte
//	                                       charset id, 2-byte collation id)
//
// A code the flavor does not define ends parsing without error, as in the
// server: the value's length is unknown, so nothing after it can be read.
func decodeStatusVars(sv *StatusVars, data []byte, flavor Flavor) error {
	c := newCursor(data)
	for c.remaining() > 0 {
		codePos := c.pos
		code := c.u8("status variable code")
		if !knownStatusVar(code, flavor) {
			cd := code
			sv.UnknownCode = &cd
			sv.Unparsed = data[codePos:]
			return nil
		}
		if err := decodeStatusVar(sv, &c, code, flavor); err != nil {
			return fmt.Errorf("status variable code %d at offset %d: %w", code, codePos, err)
		}
	}
	return nil
}

func knownStatusVar(code uint8, flavor Flavor) bool {
	switch {
	case code <= qInvokerCode:
		return true
	case flavor == FlavorMariaDB:
		return code >= qMariaHRNowCode && code <= qMariaCharacterSetCollationsCode
	default:
		return code >= qUpdatedDBNamesCode && code <= qEnableCascadeTriggersCode && code != qCommitTS2Code
	}
}

func decodeStatusVar(sv *StatusVars, c *cursor, code uint8, flavor Flavor) error {
	switch code {
	case qFlags2Code:
		v := c.u32("flags2")
		sv.Flags2 = &v
	case qSQLModeCode:
		m := SQLMode{Bits: c.u64("sql_mode"), Flavor: flavor}
		sv.SQLMode = &m
	case qCatalogCode:
		s := string(c.bytes(int(c.u8("catalog length")), "catalog"))
		c.skip(1, "catalog NUL terminator")
		sv.Catalog = &s
	case qCatalogNZCode:
		s := string(c.bytes(int(c.u8("catalog length")), "catalog"))
		sv.Catalog = &s
	case qAutoIncrementCode:
		inc, off := c.u16("auto_increment_increment"), c.u16("auto_increment_offset")
		sv.AutoIncrementIncrement, sv.AutoIncrementOffset = &inc, &off
	case qCharsetCode:
		cs := QueryCharset{Client: c.u16("character_set_client"), Connection: c.u16("collation_connection"), Server: c.u16("collation_server")}
		sv.Charset = &cs
	case qTimeZoneCode:
		s := string(c.bytes(int(c.u8("time_zone length")), "time_zone"))
		sv.TimeZone = &s
	case qLCTimeNamesCode:
		v := c.u16("lc_time_names")
		sv.LCTimeNames = &v
	case qCharsetDatabaseCode:
		v := c.u16("collation_database")
		sv.CollationDatabase = &v
	case qTableMapForUpdateCode:
		v := c.u64("table_map_for_update")
		sv.TableMapForUpdate = &v
	case qMasterDataWrittenCode:
		v := c.u32("master_data_written")
		sv.MasterDataWritten = &v
	case qInvokerCode:
		user := string(c.bytes(int(c.u8("invoker user length")), "invoker user"))
		host := string(c.bytes(int(c.u8("invoker host length")), "invoker host"))
		sv.Invoker = &Invoker{User: user, Host: host}
	case qUpdatedDBNamesCode:
		n := c.u8("updated db count")
		if c.err != nil {
			break
		}
		if n > maxDBsInEventMTS {
			sv.UpdatedDBNamesOverMax = true
			break
		}
		if n == 0 {
			return fmt.Errorf("updated db count is 0 (the server writes at least one name or the over-max marker)")
		}
		sv.UpdatedDBNames = make([]string, 0, n)
		for i := 0; i < int(n) && c.err == nil; i++ {
			sv.UpdatedDBNames = append(sv.UpdatedDBNames, string(c.cstring("updated db name")))
		}
	case qMicrosecondsCode, qMariaHRNowCode:
		v := c.u24("microseconds")
		sv.Microseconds = &v
	case qCommitTSCode:
		v := c.u64("commit sequence number")
		sv.CommitSeqNo = &v
	case qExplicitDefaultsForTimestamp:
		v := c.u8("explicit_defaults_for_timestamp") != 0
		sv.ExplicitDefaultsForTimestamp = &v
	case qDDLLoggedWithXIDCode:
		v := c.u64("ddl_xid")
		sv.DDLXID = &v
	case qDefaultCollationForUTF8MB4Code:
		v := c.u16("default_collation_for_utf8mb4")
		sv.DefaultCollationForUTF8MB4 = &v
	case qSQLRequirePrimaryKeyCode:
		v := c.u8("sql_require_primary_key")
		sv.SQLRequirePrimaryKey = &v
	case qDefaultTableEncryptionCode:
		v := c.u8("default_table_encryption")
		sv.DefaultTableEncryption = &v
	case qEnableCascadeTriggersCode:
		v := c.u8("enable_cascade_triggers")
		sv.EnableCascadeTriggers = &v
	case qMariaXIDCode:
		v := c.u64("xid")
		sv.MariaXID = &v
	case qMariaGTIDFlags3Code:
		v := c.u8("gtid_flags3")
		sv.MariaGTIDFlags3 = &v
		if v&(MariaGTIDExtraCommitAlter|MariaGTIDExtraRollbackAlter) != 0 {
			seq := c.u64("start alter seq_no")
			sv.MariaStartAlterSeqNo = &seq
		}
	case qMariaCharacterSetCollationsCode:
		n := int(c.u8("character_set_collations count"))
		if c.err == nil && n*4 > c.remaining() {
			c.fail(n*4, "character_set_collations pairs")
			break
		}
		pairs := make([]CharsetCollation, n)
		for i := range pairs {
			pairs[i] = CharsetCollation{Charset: c.u16("charset id"), Collation: c.u16("collation id")}
		}
		sv.MariaCharacterSetCollations = pairs
	}
	return c.err
}

// SQLMode is the sql_mode bit set of a QUERY event. Bits above 0x10 mean
// the same in MySQL and MariaDB up to bit 31; bit 4 and bits 32 and up
// differ, so the value remembers the flavor that wrote it. It renders in
// JSON as the array of mode names.
type SQLMode struct {
	Bits   uint64
	Flavor Flavor
}

// Mode names by bit number (MySQL sql/system_variables.h, MariaDB
// sql/sql_class.h MODE_*). Bits 8-17 were removed in MySQL 8.0 but still
// appear in 5.7 binlogs.
var sqlModeNamesCommon = [32]string{
	"REAL_AS_FLOAT", "PIPES_AS_CONCAT", "ANSI_QUOTES", "IGNORE_SPACE", "",
	"ONLY_FULL_GROUP_BY", "NO_UNSIGNED_SUBTRACTION", "NO_DIR_IN_CREATE",
	"POSTGRESQL", "ORACLE", "MSSQL", "DB2", "MAXDB", "NO_KEY_OPTIONS",
	"NO_TABLE_OPTIONS", "NO_FIELD_OPTIONS", "MYSQL323", "MYSQL40", "ANSI",
	"NO_AUTO_VALUE_ON_ZERO", "NO_BACKSLASH_ESCAPES", "STRICT_TRANS_TABLES",
	"STRICT_ALL_TABLES", "NO_ZERO_IN_DATE", "NO_ZERO_DATE",
	"ALLOW_INVALID_DATES", "ERROR_FOR_DIVISION_BY_ZERO", "TRADITIONAL",
	"NO_AUTO_CREATE_USER", "HIGH_NOT_PRECEDENCE", "NO_ENGINE_SUBSTITUTION",
	"PAD_CHAR_TO_FULL_LENGTH",
}

var sqlModeNamesMySQLHigh = []string{"TIME_TRUNCATE_FRACTIONAL", "INTERPRET_UTF8_AS_UTF8MB4"}

var sqlModeNamesMariaHigh = []string{"EMPTY_STRING_IS_NULL", "SIMULTANEOUS_ASSIGNMENT", "TIME_ROUND_FRACTIONAL"}

// Names returns the mode names, in bit order, as SELECT @@sql_mode shows
// them; a bit without a known name appears as its hex value ("0x400000000").
func (m SQLMode) Names() []string {
	names := make([]string, 0, bits.OnesCount64(m.Bits))
	for rest := m.Bits; rest != 0; rest &= rest - 1 {
		bit := bits.TrailingZeros64(rest)
		name := ""
		switch {
		case bit == 4:
			name = "NOT_USED"
			if m.Flavor == FlavorMariaDB {
				name = "IGNORE_BAD_TABLE_OPTIONS"
			}
		case bit < 32:
			name = sqlModeNamesCommon[bit]
		case m.Flavor == FlavorMariaDB && bit-32 < len(sqlModeNamesMariaHigh):
			name = sqlModeNamesMariaHigh[bit-32]
		case m.Flavor == FlavorMySQL && bit-32 < len(sqlModeNamesMySQLHigh):
			name = sqlModeNamesMySQLHigh[bit-32]
		}
		if name == "" {
			name = "0x" + strconv.FormatUint(uint64(1)<<bit, 16)
		}
		names = append(names, name)
	}
	return names
}

func (m SQLMode) String() string {
	s := ""
	for i, n := range m.Names() {
		if i > 0 {
			s += ","
		}
		s += n
	}
	return s
}

// MarshalJSON renders the mode as an array of names.
func (m SQLMode) MarshalJSON() ([]byte, error) { return json.Marshal(m.Names()) }
