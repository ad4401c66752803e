package binlogfile

import "github.com/seed5aa6e046/syncer/sources/mysql/binlog"

// payloadEvents returns the events inside a TRANSACTION_PAYLOAD event, in
// order, or nil for any other event.
func payloadEvents(ev *binlog.Event) []*binlog.Event {
	if p, ok := ev.Body.(*binlog.TransactionPayloadEvent); ok {
		return p.Events
	}
	return nil
}
