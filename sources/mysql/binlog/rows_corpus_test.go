package binlog

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// rowsCorpusRoot returns ../shared/corpus/binlog beside the repository
// root, skipping the test when it is missing (failing under CI=true).
func rowsCorpusRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "corpus", "binlog")
	if _, err := os.Stat(corpus); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("binlog corpus missing at %s: %v", corpus, err)
		}
		t.Skipf("binlog corpus missing at %s", corpus)
	}
	return corpus
}

// rowsCorpusEvent is one decoded event of a corpus file.
type rowsCorpusEvent struct {
	pos int
	ev  *Event
	err error
}

// readRowsCorpusFile splits a binlog file into events by event_size after
// the 4-byte magic and decodes them all with one Decoder. Decoding stops
// at the first framing problem (a truncated file).
func readRowsCorpusFile(t testing.TB, rel string) ([]rowsCorpusEvent, *Decoder) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(rowsCorpusRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4 || string(data[1:4]) != "bin" {
		t.Fatalf("%s: not a binlog file", rel)
	}
	// Checksums are verified by the decoder's own tests; here they would
	// only hide row decoding behind unrelated header problems.
	d := NewDecoder(WithoutChecksumVerification())
	var out []rowsCorpusEvent
	for pos := 4; pos+HeaderLenV1 <= len(data); {
		size := int(binary.LittleEndian.Uint32(data[pos+9:]))
		if size < HeaderLenV1 || pos+size > len(data) {
			break
		}
		ev, err := d.Decode(data[pos : pos+size])
		out = append(out, rowsCorpusEvent{pos: pos, ev: ev, err: err})
		pos += size
	}
	return out, d
}
