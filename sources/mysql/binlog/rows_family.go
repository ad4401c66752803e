package binlog

// newRowsFamilyBody returns an empty body for TABLE_MAP and every rows
// event type, or nil for other types.
func newRowsFamilyBody(t EventType) EventBody {
	switch t {
	case TableMapEventType:
		return &TableMapEvent{}
	case PreGAWriteRowsEventType, PreGAUpdateRowsEventType, PreGADeleteRowsEventType,
		WriteRowsEventV1Type, UpdateRowsEventV1Type, DeleteRowsEventV1Type,
		WriteRowsEventV2Type, UpdateRowsEventV2Type, DeleteRowsEventV2Type,
		PartialUpdateRowsEventType,
		MariaWriteRowsCompressedV1Type, MariaUpdateRowsCompressedV1Type, MariaDeleteRowsCompressedV1Type,
		MariaWriteRowsCompressedType, MariaUpdateRowsCompressedType, MariaDeleteRowsCompressedType:
		return &RowsEvent{}
	}
	return nil
}
