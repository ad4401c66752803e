package binlog

// newStatementFamilyBody returns an empty body for every event type that is
// neither a row event, TABLE_MAP nor a format event: statements, control
// events, GTIDs, transaction payloads, the obsolete LOAD DATA events and
// MariaDB's own events. It returns nil for types it does not handle, which
// the decoder turns into a *RawEvent.
func newStatementFamilyBody(t EventType) EventBody {
	switch t {
	case QueryEventType, MariaQueryCompressedEventType:
		return &QueryEvent{}
	case StopEventType:
		return &StopEvent{}
	case RotateEventType:
		return &RotateEvent{}
	case IntvarEventType:
		return &IntvarEvent{}
	case LoadEventType, NewLoadEventType:
		return &LoadEvent{}
	case SlaveEventType, IgnorableEventType:
		// SLAVE was never written; IGNORABLE carries nothing a reader can
		// use. Both keep their bytes.
		return &RawEvent{}
	case CreateFileEventType:
		return &CreateFileEvent{}
	case AppendBlockEventType:
		return &AppendBlockEvent{}
	case ExecLoadEventType, DeleteFileEventType:
		return &FileIDEvent{}
	case RandEventType:
		return &RandEvent{}
	case UserVarEventType:
		return &UserVarEvent{}
	case XIDEventType:
		return &XIDEvent{}
	case BeginLoadQueryEventType:
		return &BeginLoadQueryEvent{}
	case ExecuteLoadQueryEventType:
		return &ExecuteLoadQueryEvent{}
	case IncidentEventType:
		return &IncidentEvent{}
	case HeartbeatEventType:
		return &HeartbeatEvent{}
	case RowsQueryEventType:
		return &RowsQueryEvent{}
	case GTIDEventType, AnonymousGTIDEventType, GTIDTaggedEventType:
		return &GTIDEvent{}
	case PreviousGTIDsEventType:
		return &PreviousGTIDsEvent{}
	case TransactionContextEventType:
		return &TransactionContextEvent{}
	case ViewChangeEventType:
		return &ViewChangeEvent{}
	case XAPrepareEventType:
		return &XAPrepareEvent{}
	case TransactionPayloadEventType:
		return &TransactionPayloadEvent{}
	case HeartbeatV2EventType:
		return &HeartbeatV2Event{}
	case MariaAnnotateRowsEventType:
		return &AnnotateRowsEvent{}
	case MariaBinlogCheckpointEventType:
		return &BinlogCheckpointEvent{}
	case MariaGTIDEventType:
		return &MariaGTIDEvent{}
	case MariaGTIDListEventType:
		return &MariaGTIDListEvent{}
	case MariaStartEncryptionEventType:
		return &StartEncryptionEvent{}
	}
	return nil
}
