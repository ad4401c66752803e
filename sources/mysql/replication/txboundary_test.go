package replication

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

func TestQueryKind(t *testing.T) {
	for q, want := range map[string]queryClass{
		"BEGIN":                     queryBegin,
		"  begin work":              queryBegin,
		"COMMIT":                    queryEnd,
		"commit /* x */":            queryEnd,
		"ROLLBACK":                  queryEnd,
		"ROLLBACK TO SAVEPOINT a":   queryOther,
		"rollback to b":             queryOther,
		"XA START X'01',X'',1":      queryBegin,
		"XA END X'01',X'',1":        queryOther,
		"XA COMMIT X'01',X'',1":     queryOther,
		"CREATE TABLE t (a int)":    queryOther,
		"BEGINNING":                 queryOther,
		"COMMITTED":                 queryOther,
		"/* c */ COMMIT":            queryOther, // the server never writes this; treated as a statement
		"INSERT INTO t VALUES (1)":  queryOther,
		"SAVEPOINT a":               queryOther,
		"ROLLBACK;":                 queryEnd,
		"XA ROLLBACK X'01',X'',1":   queryOther,
		"XA BEGIN X'01'":            queryBegin,
		"\n\tBEGIN":                 queryBegin,
		"commit\n":                  queryEnd,
		"ROLLBACK TO":               queryOther,
		"ROLLBACK TOO_MANY_ISSUES?": queryEnd,
	} {
		if got := queryKind(q); got != want {
			t.Errorf("queryKind(%q) = %d, want %d", q, got, want)
		}
	}
}

// TestTxTrackerCorpus runs the boundary rules over every binlog of the
// shared corpus (MySQL 5.x to 9.x, MariaDB 10.x and 11.x) and checks what
// must hold in any real binlog: row events and their table maps are inside a
// transaction, XID always ends one, and each GTID-numbered transaction ends
// exactly once before the next GTID event.
func TestTxTrackerCorpus(t *testing.T) {
	dir := testcorpus.Dir(t)
	must, may := testcorpus.ExpectReject(t, dir)
	checked := 0
	for _, rel := range testcorpus.Binlogs(t, dir) {
		if must[rel] || may[rel] {
			continue
		}
		// binlog_recovery/ holds files tampered on purpose into invalid
		// transaction sequences (a DDL inside BEGIN, an orphan XA
		// COMMIT...) for the server's crash-recovery tests; SOURCES.md
		// says so. Their events decode, but their transactions do not nest.
		if strings.Contains(rel, "/binlog_recovery/") {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			r := binlogfile.Open(filepath.Join(dir, filepath.FromSlash(rel)), binlogfile.WithDecoderOptions(binlog.WithoutChecksumVerification()))
			defer r.Close()
			var tr txTracker
			openGTID := false
			gtids, ends := 0, 0
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					var de *binlog.DecodeError
					if errors.As(err, &de) {
						t.Skipf("file does not decode fully (covered by the decoder's corpus test): %v", err)
					}
					t.Fatal(err)
				}
				switch ev.Body.(type) {
				case *binlog.GTIDEvent, *binlog.MariaGTIDEvent:
					if openGTID && tr.inTransaction() {
						t.Fatalf("%s:%d: GTID event while the previous GTID's transaction is still open", ev.File, ev.Pos)
					}
					gtids++
					openGTID = true
				}
				boundary := tr.observe(ev.Event)
				switch b := ev.Body.(type) {
				case *binlog.RowsEvent, *binlog.TableMapEvent:
					if boundary || !tr.inTransaction() {
						// Statement-less row events outside BEGIN exist only
						// in pre-5.1.? binlogs without GTIDs.
						if gtids > 0 {
							t.Fatalf("%s:%d: %s outside a transaction", ev.File, ev.Pos, ev.Header.Type)
						}
					}
				case *binlog.XIDEvent:
					if !boundary {
						t.Fatalf("%s:%d: XID did not end a transaction", ev.File, ev.Pos)
					}
				case *binlog.QueryEvent:
					_ = b
				}
				if boundary && openGTID && !tr.inTransaction() {
					ends++
					openGTID = false
				}
			}
			if tr.inTransaction() && openGTID {
				gtids-- // the file ends inside its last transaction
			}
			if gtids > 0 && ends != gtids {
				t.Errorf("%d GTID events but %d transactions ended after them", gtids, ends)
			}
			checked++
		})
	}
	if checked == 0 {
		t.Fatal("no corpus binlog was checked")
	}
}
