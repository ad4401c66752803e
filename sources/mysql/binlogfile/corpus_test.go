package binlogfile

import (
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// corpusDir returns the shared binlog corpus (../shared/corpus/binlog next to
// the repository). It skips the test when the corpus is missing, except under
// CI=true, where a missing corpus is a failure.
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// readAll reads every event of a file and returns the event count.
func readAll(path string, opts ...Option) (int, error) {
	r := Open(path, opts...)
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	must, may := testcorpus.ExpectReject(t, dir)
	files := testcorpus.Binlogs(t, dir)
	for rel := range must {
		if !contains(files, rel) {
			t.Errorf("EXPECT-REJECT.txt lists %s, which is not among the corpus binlogs", rel)
		}
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(rel))
			n, err := readAll(path)
			switch {
			case may[rel]:
				t.Logf("optional reject: %d events, err=%v", n, err)
			case must[rel]:
				if err == nil {
					t.Fatalf("read %d events without error; the file must be rejected", n)
				}
				msg := err.Error()
				if !strings.Contains(msg, path) {
					t.Errorf("error does not name the file %s: %v", path, err)
				}
				if !regexp.MustCompile(`:\d+: `).MatchString(msg) {
					t.Errorf("error does not name an offset: %v", err)
				}
				t.Logf("rejected as expected: %v", err)
			case testcorpus.StaleCRC[rel]:
				if !errors.Is(err, binlog.ErrChecksum) {
					t.Errorf("with checksum verification: got %v, want a checksum mismatch", err)
				}
				n, err = readAll(path, WithDecoderOptions(binlog.WithoutChecksumVerification()))
				if err != nil {
					t.Fatalf("without checksum verification, after %d events: %v", n, err)
				}
			default:
				if err != nil {
					t.Fatalf("after %d events: %v", n, err)
				}
				if n == 0 {
					t.Fatal("no events")
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCorpusRejectReasons checks that each rejected file fails for the
// right reason.
func TestCorpusRejectReasons(t *testing.T) {
	dir := corpusDir(t)
	cases := []struct {
		rel  string
		want error  // errors.Is target, or nil
		msg  string // substring of the message
	}{
		{"mysql-server-8.0.43-snapshot/encrypted/rpl_nogtid_encryption_master-bin.000002", ErrEncrypted, ":0: binlog is encrypted"},
		{"mysql-server-8.0.43-snapshot/binlog_no_fd_event.000001", ErrNoFormat, ":4: decode TYPE_48: no FORMAT_DESCRIPTION event"},
		{"rust_mysql_common/binlog_truncated_event.000001", io.ErrUnexpectedEOF, ":4: decode FORMAT_DESCRIPTION: event at offset 4 is incomplete (only 10 of the 13 header bytes are present): file truncated or still being written"},
		{"mariadb-server-10.4-snapshot/bug11747416_32228_binlog.000001", io.ErrUnexpectedEOF, "decode WRITE_ROWS_V1: event at offset"},
	}
	for _, c := range cases {
		t.Run(c.rel, func(t *testing.T) {
			_, err := readAll(filepath.Join(dir, filepath.FromSlash(c.rel)))
			if err == nil {
				t.Fatal("no error")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v does not wrap %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not contain %q", err, c.msg)
			}
		})
	}
}
