package proto

// Capability flags of the protocol (MySQL's CLIENT_LONG_PASSWORD is
// ClientLongPassword, CLIENT_PLUGIN_AUTH is ClientPluginAuth, and so on) (the "capabilities" field of the
// handshake and its response). The client sends the intersection of what it
// wants and what the server announced.
const (
	ClientLongPassword               uint32 = 1 << 0 // MariaDB: CLIENT_MYSQL; clear on MariaDB 10.2+ servers
	ClientFoundRows                  uint32 = 1 << 1
	ClientLongFlag                   uint32 = 1 << 2
	ClientConnectWithDB              uint32 = 1 << 3
	ClientNoSchema                   uint32 = 1 << 4
	ClientCompress                   uint32 = 1 << 5
	ClientODBC                       uint32 = 1 << 6
	ClientLocalFiles                 uint32 = 1 << 7
	ClientIgnoreSpace                uint32 = 1 << 8
	ClientProtocol41                 uint32 = 1 << 9
	ClientInteractive                uint32 = 1 << 10
	ClientSSL                        uint32 = 1 << 11
	ClientIgnoreSIGPIPE              uint32 = 1 << 12
	ClientTransactions               uint32 = 1 << 13
	ClientReserved                   uint32 = 1 << 14
	ClientSecureConnection           uint32 = 1 << 15
	ClientMultiStatements            uint32 = 1 << 16
	ClientMultiResults               uint32 = 1 << 17
	ClientPSMultiResults             uint32 = 1 << 18
	ClientPluginAuth                 uint32 = 1 << 19
	ClientConnectAttrs               uint32 = 1 << 20
	ClientPluginAuthLenEncClientData uint32 = 1 << 21
	ClientCanHandleExpiredPasswords  uint32 = 1 << 22
	ClientSessionTrack               uint32 = 1 << 23
	ClientDeprecateEOF               uint32 = 1 << 24
	ClientOptionalResultsetMetadata  uint32 = 1 << 25
	ClientZstdCompressionAlgorithm   uint32 = 1 << 26
	ClientQueryAttributes            uint32 = 1 << 27
	ClientMultiFactorAuthentication  uint32 = 1 << 28
	ClientSSLVerifyServerCert        uint32 = 1 << 30
	ClientRememberOptions            uint32 = 1 << 31
)

// MariaDB extended capabilities, sent in the last 4 bytes of the handshake
// filler when the server clears ClientLongPassword (MariaDB 10.2+).
const (
	MariaDBClientProgress           uint32 = 1 << 0
	MariaDBClientComMulti           uint32 = 1 << 1
	MariaDBClientStmtBulkOperations uint32 = 1 << 2
	MariaDBClientExtendedMetadata   uint32 = 1 << 3
	MariaDBClientCacheMetadata      uint32 = 1 << 4
)

// Server status flags (OK and EOF packets).
const (
	ServerStatusInTrans         uint16 = 0x0001
	ServerStatusAutocommit      uint16 = 0x0002
	ServerMoreResultsExist      uint16 = 0x0008
	ServerStatusNoGoodIndexUsed uint16 = 0x0010
	ServerStatusNoIndexUsed     uint16 = 0x0020
)

// Command bytes (first byte of a command packet).
const (
	ComQuit           byte = 0x01
	ComQuery          byte = 0x03
	ComPing           byte = 0x0e
	ComBinlogDump     byte = 0x12
	ComRegisterSlave  byte = 0x15
	ComBinlogDumpGTID byte = 0x1e
)

// Packet header bytes of generic responses.
const (
	OKHeader           byte = 0x00
	AuthMoreDataHeader byte = 0x01
	LocalInfileHeader  byte = 0xfb
	EOFHeader          byte = 0xfe
	ERRHeader          byte = 0xff
)

// CharsetUTF8MB4GeneralCI is collation id 45, utf8mb4_general_ci: accepted by
// MySQL 5.5+ and every MariaDB, unlike 255 (utf8mb4_0900_ai_ci, MySQL 8 only).
const CharsetUTF8MB4GeneralCI uint8 = 45
