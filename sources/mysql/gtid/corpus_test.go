package gtid

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// TestDecodeSetCorpus reads the body of every PREVIOUS_GTIDS event in the
// shared corpus of real server binlogs (MySQL 5.6 to 9.x, tagged sets
// included). These bytes were written by MySQL's Gtid_set::encode, so:
// DecodeSet must accept them, print the same text as the binlog package's
// independent decoder, and Encode must give back exactly the same bytes.
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
			set, err := DecodeSet(body)
			if err != nil {
				t.Errorf("%s@%d: DecodeSet(%x): %v", name, ev.Pos, body, err)
				continue
			}
			seen++
			if body[7] == formatTagged {
				tagged++
			}
			if got, want := set.String(), prev.GTIDSet.String(); got != want {
				t.Errorf("%s@%d: DecodeSet gives %q, binlog decoder %q", name, ev.Pos, got, want)
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
