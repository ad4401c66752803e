package binlog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/internal/testcorpus"
)

// corpusDir returns the shared binlog corpus directory, skipping the test
// when it is absent (failing instead under CI=true).
func corpusDir(t testing.TB) string { return testcorpus.Dir(t) }

// corpusEvent is one event of a corpus file, with where it starts.
type corpusEvent struct {
	Pos int
	Ev  *Event
	Err error
	Typ EventType
}

// ownedType reports whether this file's decoders handle t, so corpus tests
// fail on errors in these types only (other decoders are tested elsewhere).
func ownedType(t EventType) bool {
	switch t {
	case TableMapEventType, FormatDescriptionEventType, StartEventV3Type,
		PreGAWriteRowsEventType, PreGAUpdateRowsEventType, PreGADeleteRowsEventType,
		WriteRowsEventV1Type, UpdateRowsEventV1Type, DeleteRowsEventV1Type,
		WriteRowsEventV2Type, UpdateRowsEventV2Type, DeleteRowsEventV2Type,
		PartialUpdateRowsEventType,
		MariaWriteRowsCompressedV1Type, MariaUpdateRowsCompressedV1Type, MariaDeleteRowsCompressedV1Type,
		MariaWriteRowsCompressedType, MariaUpdateRowsCompressedType, MariaDeleteRowsCompressedType:
		return false
	}
	return true
}

// splitEvents cuts a binlog file into raw events by their event_size,
// after the 4-byte magic. It stops at a truncated tail.
func splitEvents(t testing.TB, data []byte) (raws [][]byte, offsets []int) {
	t.Helper()
	if len(data) < 4 || !bytes.Equal(data[:4], []byte{0xfe, 'b', 'i', 'n'}) {
		t.Fatalf("not a binlog: magic % x", data[:min(4, len(data))])
	}
	for pos := 4; pos+13 <= len(data); {
		size := int(le32(data[pos+9:]))
		if size < 13 || pos+size > len(data) {
			break
		}
		raws = append(raws, data[pos:pos+size])
		offsets = append(offsets, pos)
		pos += size
	}
	return raws, offsets
}

// decodeCorpusFile decodes every event of a corpus file (path relative to
// the corpus) with one Decoder. Errors in event types owned here fail the
// test; others are kept in the result.
func decodeCorpusFile(t testing.TB, rel string) []corpusEvent {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	raws, offsets := splitEvents(t, data)
	d := newCorpusDecoder()
	var out []corpusEvent
	for i, raw := range raws {
		ev, err := d.Decode(raw)
		typ := EventType(raw[4])
		if err != nil && ownedType(typ) {
			t.Fatalf("%s: event at offset %d: %v", rel, offsets[i], err)
		}
		out = append(out, corpusEvent{Pos: offsets[i], Ev: ev, Err: err, Typ: typ})
	}
	return out
}

// newCorpusDecoder returns the decoder the corpus tests use. Checksums are
// not verified: that is the FDE/checksum code's concern, tested on its own,
// and these tests must see the events they own even where it disagrees.
func newCorpusDecoder() *Decoder { return NewDecoder(WithoutChecksumVerification()) }

// bodies returns the decoded bodies of type T, payload inner events
// included, in file order.
func bodies[T EventBody](evs []corpusEvent) []T {
	var out []T
	var walk func(ev *Event)
	walk = func(ev *Event) {
		if b, ok := ev.Body.(T); ok {
			out = append(out, b)
		}
		if p, ok := ev.Body.(*TransactionPayloadEvent); ok {
			for _, in := range p.Events {
				walk(in)
			}
		}
	}
	for _, ce := range evs {
		if ce.Ev != nil {
			walk(ce.Ev)
		}
	}
	return out
}

func readExpectReject(t testing.TB, dir string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "EXPECT-REJECT.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rej := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			rej[line] = true
		}
	}
	return rej
}

// TestCorpusStatementEvents decodes every event of every corpus binlog and
// requires the event types owned here to decode without error and to
// render as JSON (except the files that must be rejected).
func TestCorpusStatementEvents(t *testing.T) {
	dir := corpusDir(t)
	rej := readExpectReject(t, dir)
	seen := map[EventType]int{}
	files := 0
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() || strings.HasSuffix(path, ".txt") || strings.HasSuffix(path, ".md") ||
			strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".sql") || strings.HasSuffix(path, ".py") {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(data) < 4 || !bytes.Equal(data[:4], []byte{0xfe, 'b', 'i', 'n'}) || rej[rel] || strings.Contains(rel, "wl2325_r") {
			return nil
		}
		files++
		raws, offsets := splitEvents(t, data)
		d := newCorpusDecoder()
		for i, raw := range raws {
			ev, err := d.Decode(raw)
			typ := EventType(raw[4])
			if err != nil {
				var de *DecodeError
				if ownedType(typ) || (errors.As(err, &de) && ownedType(de.Type)) {
					t.Errorf("%s:%d: %v", rel, offsets[i], err)
				}
				continue
			}
			seen[typ]++
			if ownedType(typ) {
				if _, err := json.Marshal(ev.Body); err != nil {
					t.Errorf("%s:%d: %s body does not render as JSON: %v", rel, offsets[i], typ, err)
				}
			}
			if p, ok := ev.Body.(*TransactionPayloadEvent); ok {
				for _, in := range p.Events {
					seen[in.Header.Type]++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Errorf("only %d binlog files found", files)
	}
	t.Logf("%d files; event types seen: %v", files, seen)
}

// Post-header length tables of real FORMAT_DESCRIPTION events (base64):
// MySQL 8.0.28 and MariaDB 10.11.19.
const (
	mysql80PostHeaders   = "AA0ACAAAAAAEAAQAAABiAAQaCAAAAAgICAIAAAAKCgoqKgASNAAKKAA="
	maria1011PostHeaders = "OA0ACAASAAQEBAQSAADkAAQaCAAAAAgICAIAAAAKCgoAAAAAAAAKCgoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQTBAANCAgICgoK"
)

// makeEvent builds a complete v4 event: 19-byte header, body and, when
// withCRC, a valid CRC32.
func makeEvent(typ EventType, serverID uint32, body []byte, withCRC bool) []byte {
	size := HeaderLen + len(body)
	if withCRC {
		size += 4
	}
	ev := make([]byte, 0, size)
	ev = binary.LittleEndian.AppendUint32(ev, 1700000000)
	ev = append(ev, byte(typ))
	ev = binary.LittleEndian.AppendUint32(ev, serverID)
	ev = binary.LittleEndian.AppendUint32(ev, uint32(size))
	ev = binary.LittleEndian.AppendUint32(ev, 1000)
	ev = binary.LittleEndian.AppendUint16(ev, 0)
	ev = append(ev, body...)
	if withCRC {
		ev = binary.LittleEndian.AppendUint32(ev, crc32.ChecksumIEEE(ev))
	}
	return ev
}

// makeFDE builds a FORMAT_DESCRIPTION event for a server version and
// post-header table, with the given checksum algorithm.
func makeFDE(version, postHeadersB64 string, alg ChecksumAlgorithm) []byte {
	ph, err := base64.StdEncoding.DecodeString(postHeadersB64)
	if err != nil {
		panic(err)
	}
	body := binary.LittleEndian.AppendUint16(nil, 4)
	sv := make([]byte, 50)
	copy(sv, version)
	body = append(body, sv...)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = append(body, HeaderLen)
	body = append(body, ph...)
	body = append(body, byte(alg))
	ev := makeEvent(FormatDescriptionEventType, 1, body, false)
	binary.LittleEndian.PutUint32(ev[9:], uint32(len(ev)+4))
	return binary.LittleEndian.AppendUint32(ev, crc32.ChecksumIEEE(ev))
}

// newTestDecoder returns a decoder that has read a MySQL 8.0 (or MariaDB
// 10.11) FORMAT_DESCRIPTION with checksums off.
func newTestDecoder(t testing.TB, flavor Flavor) *Decoder {
	t.Helper()
	fde := makeFDE("8.0.28", mysql80PostHeaders, ChecksumOff)
	if flavor == FlavorMariaDB {
		fde = makeFDE("10.11.19-MariaDB-log", maria1011PostHeaders, ChecksumOff)
	}
	d := NewDecoder()
	if _, err := d.Decode(fde); err != nil {
		t.Fatalf("test FDE: %v", err)
	}
	return d
}

// decodeBody decodes one hand-built event body of type typ.
func decodeBody(t testing.TB, d *Decoder, typ EventType, body []byte) (*Event, error) {
	t.Helper()
	return d.Decode(makeEvent(typ, 7, body, false))
}

// mustBody decodes a hand-built event and returns its body as T.
func mustBody[T EventBody](t *testing.T, d *Decoder, typ EventType, body []byte) T {
	t.Helper()
	ev, err := decodeBody(t, d, typ, body)
	if err != nil {
		t.Fatalf("decode %s: %v", typ, err)
	}
	b, ok := ev.Body.(T)
	if !ok {
		t.Fatalf("decode %s: body is %T", typ, ev.Body)
	}
	return b
}

// jsonOf renders v as JSON, failing the test on error.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json: %v", err)
	}
	return string(b)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
