package gtid_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

// TestDecodeSetCorpus reads the body of every PREVIOUS_GTIDS event in the
// shared corpus of real server binlogs (MySQL 5.6 to 9.x, tagged sets
// included). These bytes were written by MySQL's Gtid_set::encode, so:
// DecodeSet must accept them (the binlog decoder uses it for the event),
// and Encode must give back exactly the same bytes. The texts are checked
// against the corpus's expected values by the binlog package's tests.
func TestDecodeSetCorpus(t *testing.T) {
	dir := testcorpus.Dir(t)
	seen, tagged := 0, 0
	for _, name := range testcorpus.Binlogs(t, dir) {
		r := binlogfile.Open(filepath.Join(dir, filepath.FromSlash(name)))
		for {
			ev, err := r.Next()
			if err != nil {
				break // end of file, or a file the corpus marks as broken
			}
			prev, ok := ev.Body.(*binlog.PreviousGTIDsEvent)
			if !ok || ev.InPayload {
				continue
			}
			body := ev.Raw[r.Decoder().HeaderLength():]
			if ev.HasChecksum {
				body = body[:len(body)-4]
			}
			body = bytes.Clone(body)
			set, err := gtid.DecodeSet(body)
			if err != nil {
				t.Errorf("%s@%d: DecodeSet(%x): %v", name, ev.Pos, body, err)
				continue
			}
			seen++
			if body[7] == 1 { // the tagged format's marker
				tagged++
			}
			if !set.Equal(prev.GTIDSet) {
				t.Errorf("%s@%d: DecodeSet gives %q, the event %q", name, ev.Pos, set, prev.GTIDSet)
			}
			if enc := set.Encode(); !bytes.Equal(enc, body) {
				t.Errorf("%s@%d: Encode(%q) =\n%x\nserver wrote\n%x", name, ev.Pos, set, enc, body)
			}
		}
		r.Close()
	}
	t.Logf("%d PREVIOUS_GTIDS sets checked, %d in the tagged format", seen, tagged)
	if seen == 0 || tagged == 0 {
		t.Fatalf("corpus gave %d sets, %d tagged: expected both kinds", seen, tagged)
	}
}
