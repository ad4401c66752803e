package binlog

import "strconv"

// EventType is the type code in byte 4 of every event header.
type EventType uint8

// MySQL event types (libbinlogevents/include/binlog_event.h, Log_event_type).
const (
	UnknownEvent                EventType = 0
	StartEventV3Type            EventType = 1
	QueryEventType              EventType = 2
	StopEventType               EventType = 3
	RotateEventType             EventType = 4
	IntvarEventType             EventType = 5
	LoadEventType               EventType = 6 // obsolete (pre-5.0 LOAD DATA)
	SlaveEventType              EventType = 7 // never written
	CreateFileEventType         EventType = 8 // obsolete
	AppendBlockEventType        EventType = 9
	ExecLoadEventType           EventType = 10 // obsolete
	DeleteFileEventType         EventType = 11
	NewLoadEventType            EventType = 12 // obsolete
	RandEventType               EventType = 13
	UserVarEventType            EventType = 14
	FormatDescriptionEventType  EventType = 15
	XIDEventType                EventType = 16
	BeginLoadQueryEventType     EventType = 17
	ExecuteLoadQueryEventType   EventType = 18
	TableMapEventType           EventType = 19
	PreGAWriteRowsEventType     EventType = 20 // 5.1.0–5.1.15
	PreGAUpdateRowsEventType    EventType = 21
	PreGADeleteRowsEventType    EventType = 22
	WriteRowsEventV1Type        EventType = 23
	UpdateRowsEventV1Type       EventType = 24
	DeleteRowsEventV1Type       EventType = 25
	IncidentEventType           EventType = 26
	HeartbeatEventType          EventType = 27
	IgnorableEventType          EventType = 28
	RowsQueryEventType          EventType = 29
	WriteRowsEventV2Type        EventType = 30
	UpdateRowsEventV2Type       EventType = 31
	DeleteRowsEventV2Type       EventType = 32
	GTIDEventType               EventType = 33
	AnonymousGTIDEventType      EventType = 34
	PreviousGTIDsEventType      EventType = 35
	TransactionContextEventType EventType = 36
	ViewChangeEventType         EventType = 37
	XAPrepareEventType          EventType = 38
	PartialUpdateRowsEventType  EventType = 39
	TransactionPayloadEventType EventType = 40
	HeartbeatV2EventType        EventType = 41
	GTIDTaggedEventType         EventType = 42
)

// MariaDB event types (sql/log_event.h, Log_event_type, 160 and up).
const (
	MariaAnnotateRowsEventType      EventType = 160
	MariaBinlogCheckpointEventType  EventType = 161
	MariaGTIDEventType              EventType = 162
	MariaGTIDListEventType          EventType = 163
	MariaStartEncryptionEventType   EventType = 164
	MariaQueryCompressedEventType   EventType = 165
	MariaWriteRowsCompressedV1Type  EventType = 166
	MariaUpdateRowsCompressedV1Type EventType = 167
	MariaDeleteRowsCompressedV1Type EventType = 168
	MariaWriteRowsCompressedType    EventType = 169
	MariaUpdateRowsCompressedType   EventType = 170
	MariaDeleteRowsCompressedType   EventType = 171
)

var eventTypeNames = map[EventType]string{
	UnknownEvent:                "UNKNOWN",
	StartEventV3Type:            "START_EVENT_V3",
	QueryEventType:              "QUERY",
	StopEventType:               "STOP",
	RotateEventType:             "ROTATE",
	IntvarEventType:             "INTVAR",
	LoadEventType:               "LOAD",
	SlaveEventType:              "SLAVE",
	CreateFileEventType:         "CREATE_FILE",
	AppendBlockEventType:        "APPEND_BLOCK",
	ExecLoadEventType:           "EXEC_LOAD",
	DeleteFileEventType:         "DELETE_FILE",
	NewLoadEventType:            "NEW_LOAD",
	RandEventType:               "RAND",
	UserVarEventType:            "USER_VAR",
	FormatDescriptionEventType:  "FORMAT_DESCRIPTION",
	XIDEventType:                "XID",
	BeginLoadQueryEventType:     "BEGIN_LOAD_QUERY",
	ExecuteLoadQueryEventType:   "EXECUTE_LOAD_QUERY",
	TableMapEventType:           "TABLE_MAP",
	PreGAWriteRowsEventType:     "PRE_GA_WRITE_ROWS",
	PreGAUpdateRowsEventType:    "PRE_GA_UPDATE_ROWS",
	PreGADeleteRowsEventType:    "PRE_GA_DELETE_ROWS",
	WriteRowsEventV1Type:        "WRITE_ROWS_V1",
	UpdateRowsEventV1Type:       "UPDATE_ROWS_V1",
	DeleteRowsEventV1Type:       "DELETE_ROWS_V1",
	IncidentEventType:           "INCIDENT",
	HeartbeatEventType:          "HEARTBEAT",
	IgnorableEventType:          "IGNORABLE",
	RowsQueryEventType:          "ROWS_QUERY",
	WriteRowsEventV2Type:        "WRITE_ROWS",
	UpdateRowsEventV2Type:       "UPDATE_ROWS",
	DeleteRowsEventV2Type:       "DELETE_ROWS",
	GTIDEventType:               "GTID",
	AnonymousGTIDEventType:      "ANONYMOUS_GTID",
	PreviousGTIDsEventType:      "PREVIOUS_GTIDS",
	TransactionContextEventType: "TRANSACTION_CONTEXT",
	ViewChangeEventType:         "VIEW_CHANGE",
	XAPrepareEventType:          "XA_PREPARE",
	PartialUpdateRowsEventType:  "PARTIAL_UPDATE_ROWS",
	TransactionPayloadEventType: "TRANSACTION_PAYLOAD",
	HeartbeatV2EventType:        "HEARTBEAT_V2",
	GTIDTaggedEventType:         "GTID_TAGGED",

	MariaAnnotateRowsEventType:      "MARIA_ANNOTATE_ROWS",
	MariaBinlogCheckpointEventType:  "MARIA_BINLOG_CHECKPOINT",
	MariaGTIDEventType:              "MARIA_GTID",
	MariaGTIDListEventType:          "MARIA_GTID_LIST",
	MariaStartEncryptionEventType:   "MARIA_START_ENCRYPTION",
	MariaQueryCompressedEventType:   "MARIA_QUERY_COMPRESSED",
	MariaWriteRowsCompressedV1Type:  "MARIA_WRITE_ROWS_COMPRESSED_V1",
	MariaUpdateRowsCompressedV1Type: "MARIA_UPDATE_ROWS_COMPRESSED_V1",
	MariaDeleteRowsCompressedV1Type: "MARIA_DELETE_ROWS_COMPRESSED_V1",
	MariaWriteRowsCompressedType:    "MARIA_WRITE_ROWS_COMPRESSED",
	MariaUpdateRowsCompressedType:   "MARIA_UPDATE_ROWS_COMPRESSED",
	MariaDeleteRowsCompressedType:   "MARIA_DELETE_ROWS_COMPRESSED",
}

// String returns the event type's name as used by the server's sources
// without the _EVENT suffix, e.g. "TABLE_MAP", or "TYPE_N" for unknown codes.
func (t EventType) String() string {
	if s, ok := eventTypeNames[t]; ok {
		return s
	}
	return "TYPE_" + strconv.Itoa(int(t))
}
