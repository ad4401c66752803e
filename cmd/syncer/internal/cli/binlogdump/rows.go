package binlogdump

import "github.com/seed5aa6e046/syncer/sources/mysql/binlog"

// rowScratch holds buffers reused across rows events.
type rowScratch struct{}

// tableOf returns the table of a TABLE_MAP or rows event.
func tableOf(body binlog.EventBody) (schema, table string, ok bool) {
	return "", "", false
}

// appendRowsEvent writes a rows event; done is false for other events.
func (s *rowScratch) appendRowsEvent(dst []byte, enc *bodyEncoder, body binlog.EventBody) (out []byte, done bool, err error) {
	return dst, false, nil
}

// decodeAll decodes every value of every row of a rows event and returns the
// number of rows (0 for other events).
func (s *rowScratch) decodeAll(body binlog.EventBody) (int, error) {
	return 0, nil
}
