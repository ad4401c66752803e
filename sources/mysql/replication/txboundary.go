package replication

import (
	"strings"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// txPhase is where the event stream stands relative to transactions.
type txPhase uint8

const (
	// outside: between transactions. The position after an event seen
	// here is a safe place to resume from.
	outside txPhase = iota
	// afterGTID: a GTID event (MySQL, or MariaDB's standalone kind) has
	// named the next transaction; either BEGIN follows, or a single
	// statement (DDL) that is the whole transaction.
	afterGTID
	// inBegin: inside BEGIN ... COMMIT/XID (or MariaDB's non-standalone
	// GTID, which stands for BEGIN).
	inBegin
)

// txTracker follows transaction boundaries through a binlog event stream.
// A resume point must lie between transactions: resuming inside one would
// replay row events whose TABLE_MAP was never seen, and a consumer would see
// half a transaction.
//
// The rules, for both flavors:
//   - MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED: a transaction follows.
//   - MariaDB GTID: standalone (flag 0x01) means one statement follows and
//     is the whole transaction; otherwise it opens the transaction as BEGIN
//     would (MariaDB writes no BEGIN query after a GTID event).
//   - QUERY "BEGIN" opens; "COMMIT" or "ROLLBACK" closes; any other
//     statement closes a transaction that has no BEGIN (DDL, XA COMMIT).
//   - XID and XA_PREPARE close.
//
// Every other event (ROTATE, FORMAT_DESCRIPTION, PREVIOUS_GTIDS, GTID_LIST,
// BINLOG_CHECKPOINT, STOP, ...) outside a transaction is itself a boundary.
type txTracker struct {
	phase txPhase
	// The GTID of the open transaction, applied to the checkpoint when it
	// ends.
	mysqlGTID   *binlog.GTIDEvent
	mariadbGTID *binlog.MariaGTIDEvent
}

// observe advances the tracker past ev and reports whether the position
// after ev is a transaction boundary.
func (t *txTracker) observe(ev *binlog.Event) (boundary bool) {
	switch b := ev.Body.(type) {
	case *binlog.GTIDEvent:
		t.phase, t.mysqlGTID, t.mariadbGTID = afterGTID, b, nil
		if b.Anonymous {
			t.mysqlGTID = nil
		}
		return false
	case *binlog.MariaGTIDEvent:
		t.mysqlGTID, t.mariadbGTID = nil, b
		if b.Standalone {
			t.phase = afterGTID
		} else {
			t.phase = inBegin
		}
		return false
	case *binlog.QueryEvent:
		switch queryKind(b.Query) {
		case queryBegin:
			t.phase = inBegin
			return false
		case queryEnd:
			return t.end()
		default:
			if t.phase == inBegin {
				return false
			}
			return t.end()
		}
	case *binlog.XIDEvent, *binlog.XAPrepareEvent:
		return t.end()
	case *binlog.TransactionPayloadEvent:
		// The boundary comes with the last inner event (its XID).
		return false
	}
	return t.phase == outside
}

// end closes the open transaction, if any.
func (t *txTracker) end() bool {
	t.phase = outside
	return true
}

// inTransaction reports whether the stream is inside a transaction.
func (t *txTracker) inTransaction() bool { return t.phase != outside }

// reset forgets any open transaction (after a reconnect, which resumes at
// the last boundary).
func (t *txTracker) reset() { *t = txTracker{} }

type queryClass uint8

const (
	queryOther queryClass = iota
	queryBegin
	queryEnd
)

// queryKind classifies the statement of a QUERY event. The server writes
// these control statements itself, in upper case, but a statement-based
// binlog may carry a user's "begin work" or "commit /* x */", so the first
// word is matched case-insensitively.
func queryKind(q string) queryClass {
	q = strings.TrimLeft(q, " \t\r\n")
	word := q
	if i := strings.IndexAny(q, " \t\r\n;/"); i >= 0 {
		word = q[:i]
	}
	switch {
	case strings.EqualFold(word, "BEGIN"):
		return queryBegin
	case strings.EqualFold(word, "XA"):
		// XA START opens a transaction that XA_PREPARE closes; XA END
		// stays inside it; XA COMMIT and XA ROLLBACK stand alone.
		if hasWordAfter(q[len(word):], "START") || hasWordAfter(q[len(word):], "BEGIN") {
			return queryBegin
		}
		return queryOther
	case strings.EqualFold(word, "COMMIT"), strings.EqualFold(word, "ROLLBACK"):
		// "ROLLBACK TO SAVEPOINT x" does not end the transaction.
		if strings.EqualFold(word, "ROLLBACK") && hasWordAfter(q[len(word):], "TO") {
			return queryOther
		}
		return queryEnd
	}
	return queryOther
}

func hasWordAfter(rest, w string) bool {
	rest = strings.TrimLeft(rest, " \t\r\n")
	return len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) &&
		(len(rest) == len(w) || strings.ContainsRune(" \t\r\n", rune(rest[len(w)])))
}
