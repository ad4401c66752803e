package proto

import "encoding/binary"

// Flags of COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID.
const (
	// BinlogDumpNonBlock makes the server end the dump with an EOF packet
	// at the end of the last binlog instead of waiting for new events.
	BinlogDumpNonBlock uint16 = 0x01
	// BinlogThroughPosition (COM_BINLOG_DUMP_GTID) starts at File and Pos.
	BinlogThroughPosition uint16 = 0x02
	// BinlogThroughGTID (COM_BINLOG_DUMP_GTID) starts after the GTID set in
	// GTIDData.
	BinlogThroughGTID uint16 = 0x04
)

// AppendQuery appends a COM_QUERY payload.
func AppendQuery(dst []byte, sql string) []byte {
	dst = append(dst, ComQuery)
	return append(dst, sql...)
}

// AppendQuit appends a COM_QUIT payload.
func AppendQuit(dst []byte) []byte { return append(dst, ComQuit) }

// AppendPing appends a COM_PING payload.
func AppendPing(dst []byte) []byte { return append(dst, ComPing) }

// RegisterReplica is COM_REGISTER_SLAVE: it makes the replica visible in
// SHOW REPLICAS (SHOW SLAVE HOSTS) on the source.
type RegisterReplica struct {
	ServerID uint32
	// Host, User and Password are what the replica reports about itself;
	// each is sent with a one-byte length and truncated to 255 bytes.
	Host, User, Password string
	Port                 uint16
	Rank                 uint32
	// SourceID is the source's server id; 0 lets the server fill it in.
	SourceID uint32
}

// Append appends the COM_REGISTER_SLAVE payload.
func (r *RegisterReplica) Append(dst []byte) []byte {
	dst = append(dst, ComRegisterSlave)
	dst = binary.LittleEndian.AppendUint32(dst, r.ServerID)
	dst = appendLen1String(dst, r.Host)
	dst = appendLen1String(dst, r.User)
	dst = appendLen1String(dst, r.Password)
	dst = binary.LittleEndian.AppendUint16(dst, r.Port)
	dst = binary.LittleEndian.AppendUint32(dst, r.Rank)
	return binary.LittleEndian.AppendUint32(dst, r.SourceID)
}

func appendLen1String(dst []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// BinlogDump is COM_BINLOG_DUMP: stream the binlog from File at Pos.
type BinlogDump struct {
	// Pos is the start offset; 4 is the first event of a file. (The field
	// is 32 bits on the wire: files over 4 GiB need COM_BINLOG_DUMP_GTID.)
	Pos   uint32
	Flags uint16
	// ServerID is the replica's server id; it must differ from the
	// source's and from every other replica's.
	ServerID uint32
	// File is the binlog file name; empty means the first file the server
	// has.
	File string
}

// Append appends the COM_BINLOG_DUMP payload.
func (d *BinlogDump) Append(dst []byte) []byte {
	dst = append(dst, ComBinlogDump)
	dst = binary.LittleEndian.AppendUint32(dst, d.Pos)
	dst = binary.LittleEndian.AppendUint16(dst, d.Flags)
	dst = binary.LittleEndian.AppendUint32(dst, d.ServerID)
	return append(dst, d.File...)
}

// BinlogDumpGTID is MySQL's COM_BINLOG_DUMP_GTID. (MariaDB does not
// implement it: a MariaDB replica sets @slave_connect_state and uses
// COM_BINLOG_DUMP.)
type BinlogDumpGTID struct {
	Flags    uint16
	ServerID uint32
	File     string
	Pos      uint64
	// GTIDData is the encoded GTID set (MySQL's binary Gtid_set format),
	// sent only when Flags has BinlogThroughGTID.
	GTIDData []byte
}

// Append appends the COM_BINLOG_DUMP_GTID payload.
func (d *BinlogDumpGTID) Append(dst []byte) []byte {
	dst = append(dst, ComBinlogDumpGTID)
	dst = binary.LittleEndian.AppendUint16(dst, d.Flags)
	dst = binary.LittleEndian.AppendUint32(dst, d.ServerID)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(d.File)))
	dst = append(dst, d.File...)
	dst = binary.LittleEndian.AppendUint64(dst, d.Pos)
	if d.Flags&BinlogThroughGTID != 0 {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(d.GTIDData)))
		dst = append(dst, d.GTIDData...)
	}
	return dst
}
