package binlogfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// builder writes a synthetic binlog: magic, a FORMAT_DESCRIPTION, then
// events appended with add.
type builder struct {
	buf       []byte
	hlen      int
	crc       bool
	logPosOff bool // write end_log_pos 0, as MariaDB 11 does in some events
	pos       []int64
}

func newBuilder(hlen int, crc bool) *builder {
	b := &builder{buf: append([]byte(nil), magic[:]...), hlen: hlen, crc: crc}
	fde := make([]byte, 2+50+4+1)
	binary.LittleEndian.PutUint16(fde, 4)
	copy(fde[2:], "8.0.36")
	fde[56] = byte(hlen)
	fde = append(fde, make([]byte, 42)...)
	if crc {
		fde = append(fde, 1)
	} else {
		fde = append(fde, 0)
	}
	// The FDE is written with a 19-byte header whatever its header_length;
	// with checksums off it still carries a (zero) CRC field.
	b.addWith(binlog.FormatDescriptionEventType, fde, binlog.HeaderLen, true)
	return b
}

func (b *builder) add(t binlog.EventType, body []byte) *builder {
	return b.addWith(t, body, b.hlen, b.crc)
}

func (b *builder) addWith(t binlog.EventType, body []byte, hlen int, crc bool) *builder {
	start := len(b.buf)
	size := hlen + len(body)
	if crc {
		size += 4
	}
	h := make([]byte, hlen)
	binary.LittleEndian.PutUint32(h[0:], 1700000000)
	h[4] = byte(t)
	binary.LittleEndian.PutUint32(h[5:], 7)
	binary.LittleEndian.PutUint32(h[9:], uint32(size))
	if !b.logPosOff {
		binary.LittleEndian.PutUint32(h[13:], uint32(start+size))
	}
	b.buf = append(b.buf, h...)
	b.buf = append(b.buf, body...)
	if crc {
		b.buf = binary.LittleEndian.AppendUint32(b.buf, crc32.ChecksumIEEE(b.buf[start:]))
	}
	b.pos = append(b.pos, int64(start))
	return b
}

// unknown is an event type no decoder knows, decoded as *binlog.RawEvent.
const unknown binlog.EventType = 200

func (b *builder) bytes() []byte { return append([]byte(nil), b.buf...) }

func (b *builder) file(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b.buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type got struct {
	file      string
	pos       int64
	typ       binlog.EventType
	inPayload bool
	data      string
}

func collect(t *testing.T, r *Reader) ([]got, error) {
	t.Helper()
	var out []got
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		g := got{file: ev.File, pos: ev.Pos, typ: ev.Header.Type, inPayload: ev.InPayload}
		if raw, ok := ev.Body.(*binlog.RawEvent); ok {
			g.data = string(raw.Data)
		}
		out = append(out, g)
	}
}

func sample(crc bool) *builder {
	return newBuilder(binlog.HeaderLen, crc).
		add(unknown, []byte("one")).
		add(unknown, []byte("two")).
		add(unknown, []byte("three"))
}

func TestReadSynthetic(t *testing.T) {
	for _, crc := range []bool{true, false} {
		b := sample(crc)
		evs, err := collect(t, NewReader(bytes.NewReader(b.bytes()), "mem"))
		if err != nil {
			t.Fatal(err)
		}
		want := []got{
			{"mem", 4, binlog.FormatDescriptionEventType, false, ""},
			{"mem", b.pos[1], unknown, false, "one"},
			{"mem", b.pos[2], unknown, false, "two"},
			{"mem", b.pos[3], unknown, false, "three"},
		}
		if !equal(evs, want) {
			t.Fatalf("crc=%v: got %+v\nwant %+v", crc, evs, want)
		}
	}
}

func equal(a, b []got) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLogPosZero: events are found by event_size; end_log_pos 0 (MariaDB 11)
// and header lengths other than 19 do not matter.
func TestLogPosZeroAndLongHeader(t *testing.T) {
	for _, hlen := range []int{19, 23, 31} {
		b := newBuilder(hlen, true)
		b.logPosOff = true
		b.add(unknown, []byte("a")).add(unknown, []byte("bc"))
		evs, err := collect(t, NewReader(bytes.NewReader(b.bytes()), "mem"))
		if err != nil {
			t.Fatalf("hlen %d: %v", hlen, err)
		}
		if len(evs) != 3 || evs[1].data != "a" || evs[2].data != "bc" || evs[2].pos != b.pos[2] {
			t.Fatalf("hlen %d: got %+v", hlen, evs)
		}
	}
}

func TestStartStopPosition(t *testing.T) {
	b := sample(true)
	path := b.file(t, "binlog.000001")
	cases := []struct {
		name        string
		opts        []Option
		wantData    []string
		wantFDE     bool
		errContains string
	}{
		{"all", nil, []string{"one", "two", "three"}, true, ""},
		{"start 4", []Option{WithStartPosition(4)}, []string{"one", "two", "three"}, true, ""},
		{"start second", []Option{WithStartPosition(b.pos[2])}, []string{"two", "three"}, false, ""},
		{"start at end", []Option{WithStartPosition(int64(len(b.buf)))}, nil, false, ""},
		{"stop third", []Option{WithStopPosition(b.pos[3])}, []string{"one", "two"}, true, ""},
		{"stop inside third", []Option{WithStopPosition(b.pos[3] + 1)}, []string{"one", "two", "three"}, true, ""},
		{"start and stop", []Option{WithStartPosition(b.pos[1]), WithStopPosition(b.pos[2])}, []string{"one"}, false, ""},
		{"start inside FDE", []Option{WithStartPosition(10)}, nil, false, "start position 10 is inside the FORMAT_DESCRIPTION event at 4.."},
		{"start past end", []Option{WithStartPosition(int64(len(b.buf)) + 1)}, nil, false, "is past the end of the"},
		{"start mid-event", []Option{WithStartPosition(b.pos[2] + 3)}, nil, false, fmt.Sprintf("start position %d is inside the TYPE_200 event at %d..%d; use a position where an event starts", b.pos[2]+3, b.pos[2], b.pos[3])},
	}
	for _, c := range cases {
		for _, stream := range []bool{false, true} {
			var r *Reader
			if stream {
				r = NewReader(bytes.NewReader(b.bytes()), path, c.opts...)
			} else {
				r = Open(path, c.opts...)
			}
			evs, err := collect(t, r)
			r.Close()
			if c.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), c.errContains) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s (stream %v): err %v, want one naming the file and containing %q", c.name, stream, err, c.errContains)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s (stream %v): %v", c.name, stream, err)
				continue
			}
			var data []string
			fde := false
			for _, e := range evs {
				if e.typ == binlog.FormatDescriptionEventType {
					fde = true
				} else {
					data = append(data, e.data)
				}
			}
			if strings.Join(data, ",") != strings.Join(c.wantData, ",") || fde != c.wantFDE {
				t.Errorf("%s (stream %v): got FDE=%v %q, want FDE=%v %q", c.name, stream, fde, data, c.wantFDE, c.wantData)
			}
		}
	}
}

func TestOpenFiles(t *testing.T) {
	b1 := newBuilder(binlog.HeaderLen, true).add(unknown, []byte("1a")).add(unknown, []byte("1b"))
	b2 := newBuilder(binlog.HeaderLen, false).add(unknown, []byte("2a")).add(unknown, []byte("2b"))
	p1, p2 := b1.file(t, "bin.000001"), b2.file(t, "bin.000002")

	r := OpenFiles([]string{p1, p2}, WithStartPosition(b1.pos[2]), WithStopPosition(b2.pos[2]))
	evs, err := collect(t, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{p1, b1.pos[2], unknown, false, "1b"},
		{p2, 4, binlog.FormatDescriptionEventType, false, ""},
		{p2, b2.pos[1], unknown, false, "2a"},
	}
	if !equal(evs, want) {
		t.Fatalf("got %+v\nwant %+v", evs, want)
	}
	if want := b1.pos[1] + int64(len(b1.buf)) - b1.pos[2] + b2.pos[2]; r.BytesRead() != want {
		t.Errorf("BytesRead %d, want %d", r.BytesRead(), want)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full := sample(true).bytes()
	big := sample(true)
	binary.LittleEndian.PutUint32(big.buf[big.pos[2]+9:], 2<<30)
	small := sample(true)
	binary.LittleEndian.PutUint32(small.buf[small.pos[2]+9:], 5)
	noFDE := append([]byte(nil), full...)
	noFDE[4+4] = 48 // the FDE type byte, as in binlog_no_fd_event.000001
	badCRC := sample(true)
	badCRC.buf[badCRC.pos[2]+20] ^= 0xff
	enc := newBuilder(binlog.HeaderLen, true).
		add(binlog.MariaStartEncryptionEventType, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).
		add(unknown, []byte("ciphertext"))

	cases := []struct {
		name   string
		data   []byte
		is     error
		msg    string
		events int
	}{
		{"empty", nil, ErrNotBinlog, ":0: not a binlog file: the file is empty", 0},
		{"short", []byte{0xfe, 'b'}, ErrNotBinlog, ":0: not a binlog file: the file has only 2 bytes", 0},
		{"text", []byte("hello world"), ErrNotBinlog, ":0: not a binlog file (magic 68 65 6c 6c, want fe 62 69 6e)", 0},
		{"encrypted", append([]byte{0xfd, 'b', 'i', 'n'}, make([]byte, 600)...), ErrEncrypted, ":0: binlog is encrypted (magic fd 62 69 6e, MySQL binlog_encryption=ON): decrypt it first", 0},
		{"truncated tail", full[:len(full)-3], io.ErrUnexpectedEOF, "is incomplete (event_size is", 3},
		{"truncated header", full[:len(full)-25], io.ErrUnexpectedEOF, "is incomplete (only 3 of the 13 header bytes are present): file truncated or still being written", 3},
		{"huge size", big.buf, nil, "event_size 2147483648 is larger than 1 GiB", 2},
		{"tiny size", small.buf, nil, "event_size 5 is smaller than the 19-byte event header", 2},
		{"no FDE", noFDE, ErrNoFormat, ":4: decode TYPE_48: no FORMAT_DESCRIPTION event", 0},
		{"bad CRC", badCRC.buf, binlog.ErrChecksum, "decode TYPE_200: CRC32 is", 2},
		{"start encryption", enc.buf, ErrEncrypted, "are encrypted (MariaDB encrypt_binlog=ON)", 2},
	}
	for _, c := range cases {
		p := write(strings.ReplaceAll(c.name, " ", "-"), c.data)
		for _, stream := range []bool{false, true} {
			var r *Reader
			if stream {
				r = NewReader(bytes.NewReader(c.data), p)
			} else {
				r = Open(p)
			}
			evs, err := collect(t, r)
			r.Close()
			if err == nil {
				t.Errorf("%s: no error", c.name)
				continue
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("%s: %v does not wrap %v", c.name, err, c.is)
			}
			if !strings.Contains(err.Error(), "binlog "+p+":") || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s (stream %v): error %q should name %s and contain %q", c.name, stream, err, p, c.msg)
			}
			if len(evs) != c.events {
				t.Errorf("%s: %d events before the error, want %d", c.name, len(evs), c.events)
			}
			if _, err2 := r.Next(); err2 == nil {
				t.Errorf("%s: Next after an error returned no error", c.name)
			}
		}
	}

	// A decode error carries the position, for errors.As.
	_, err := collect(t, Open(write("badcrc2", badCRC.buf)))
	var de *binlog.DecodeError
	if !errors.As(err, &de) || de.Pos != badCRC.pos[2] || de.Type != unknown || !strings.HasSuffix(de.File, "badcrc2") {
		t.Errorf("DecodeError %+v from %v", de, err)
	}

	_, err = collect(t, Open(filepath.Join(dir, "missing.000001")))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.000001") {
		t.Errorf("missing file: %v", err)
	}
	_, err = collect(t, Open(dir))
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

// TestFileGrows: an incomplete last event is reported, and a reader opened
// again after the writer finished reads it.
func TestFileGrows(t *testing.T) {
	b := sample(true)
	p := filepath.Join(t.TempDir(), "growing")
	if err := os.WriteFile(p, b.buf[:len(b.buf)-4], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := collect(t, Open(p))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(p, b.buf, 0o644); err != nil {
		t.Fatal(err)
	}
	evs, err := collect(t, Open(p))
	if err != nil || len(evs) != 4 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
}

// TestFormatSurvivesBufferReuse: the reader reuses its buffer for most
// events, but the decoder keeps the FORMAT_DESCRIPTION's post-header
// lengths; they must not be overwritten by later events.
func TestFormatSurvivesBufferReuse(t *testing.T) {
	b := newBuilder(binlog.HeaderLen, true)
	for i := 0; i < 5; i++ {
		b.add(unknown, bytes.Repeat([]byte{0xAA}, 200))
	}
	r := NewReader(bytes.NewReader(b.bytes()), "mem")
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	before := append([]byte(nil), r.Decoder().Format().PostHeaderLengths...)
	if _, err := collect(t, r); err != nil {
		t.Fatal(err)
	}
	if after := r.Decoder().Format().PostHeaderLengths; !bytes.Equal(before, after) {
		t.Fatalf("post-header lengths changed from % x to % x", before, after)
	}
}

// TestNoAllocationByLength: a stream whose size field claims 1 GiB but holds
// a few bytes fails without allocating 1 GiB.
func TestNoAllocationByLength(t *testing.T) {
	// TABLE_MAP events get a buffer of their own; check that path too.
	for _, typ := range []binlog.EventType{unknown, binlog.TableMapEventType} {
		b := sample(true)
		b.buf[b.pos[1]+4] = byte(typ)
		binary.LittleEndian.PutUint32(b.buf[b.pos[1]+9:], MaxEventSize)
		data := b.buf[:b.pos[1]+100]
		var ms1, ms2 runtimeStats
		ms1.read()
		_, err := collect(t, NewReader(bytes.NewReader(data), "mem"))
		ms2.read()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%s: got %v", typ, err)
		}
		if d := ms2.total - ms1.total; d > 8<<20 {
			t.Fatalf("%s: allocated %d bytes for a 1 GiB size field over %d bytes of data", typ, d, len(data))
		}
	}
}

// TestFormatInUseFlag: the server computes a FORMAT_DESCRIPTION's CRC32 with
// LOG_EVENT_BINLOG_IN_USE_F clear and sets the flag afterwards; such an FDE
// must verify, and the flag must still be reported.
func TestFormatInUseFlag(t *testing.T) {
	b := sample(true)
	b.buf[4+17] |= byte(binlog.FlagBinlogInUse) // after the CRC was computed
	r := NewReader(bytes.NewReader(b.bytes()), "mem")
	ev, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if ev.Header.Flags&binlog.FlagBinlogInUse == 0 || ev.Raw[17]&1 == 0 {
		t.Errorf("in-use flag lost: header flags %#x, raw byte %#x", ev.Header.Flags, ev.Raw[17])
	}
	if evs, err := collect(t, r); err != nil || len(evs) != 3 {
		t.Fatalf("%d events, %v", len(evs), err)
	}
}

// TestRelayLogFormats: a relay log holds the replica's FORMAT_DESCRIPTION
// (here without checksums), a ROTATE, then the source's (with CRC32); the
// events after the second are read with its format.
func TestRelayLogFormats(t *testing.T) {
	b := newBuilder(binlog.HeaderLen, false)
	b.add(binlog.RotateEventType, append([]byte{4, 0, 0, 0, 0, 0, 0, 0}, "source-bin.000007"...))
	fde := make([]byte, 2+50+4+1)
	binary.LittleEndian.PutUint16(fde, 4)
	copy(fde[2:], "8.0.36")
	fde[56] = binlog.HeaderLen
	fde = append(fde, make([]byte, 42)...)
	fde = append(fde, 1) // CRC32
	b.addWith(binlog.FormatDescriptionEventType, fde, binlog.HeaderLen, true)
	b.crc = true
	b.add(unknown, []byte("after"))
	evs, err := collect(t, NewReader(bytes.NewReader(b.bytes()), "relay-bin.000002"))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[3].data != "after" || evs[2].typ != binlog.FormatDescriptionEventType {
		t.Fatalf("got %+v", evs)
	}
	// Read with the first format, the last event would carry its CRC as
	// data; with the second it is stripped and verified.
	b.buf[len(b.buf)-1] ^= 0xff
	if _, err := collect(t, NewReader(bytes.NewReader(b.bytes()), "relay")); !errors.Is(err, binlog.ErrChecksum) {
		t.Fatalf("corrupt CRC after the source FDE: got %v", err)
	}
}
