package binlog

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/seed5aa6e046/syncer/sources/mysql/gtid"
)

func TestGTIDCorpusMySQL57(t *testing.T) {
	gtids := bodies[*GTIDEvent](decodeCorpusFile(t, "mysql-cdc-rs/5.7/33_35_gtid_prev_gtid/log.bin"))
	if len(gtids) != 3 {
		t.Fatalf("got %d GTID events, want 3", len(gtids))
	}
	for i, g := range gtids {
		want := "80549ecc-d2f2-11ea-b790-0242ac130002:" + string(rune('1'+i))
		if g.String() != want || g.GNO != int64(i+1) {
			t.Errorf("GTID %d = %s (gno %d), want %s", i, g, g.GNO, want)
		}
		// mysqlbinlog: last_committed=i sequence_number=i+1, and
		// rbr_only=yes (no SBR) only for the third.
		if !g.HasLogicalClock || g.LastCommitted != int64(i) || g.SequenceNumber != int64(i+1) {
			t.Errorf("GTID %d logical clock %v %d/%d", i, g.HasLogicalClock, g.LastCommitted, g.SequenceNumber)
		}
		if g.MayHaveSBR != (i < 2) {
			t.Errorf("GTID %d may_have_sbr = %v", i, g.MayHaveSBR)
		}
		if g.HasCommitTimestamps || g.HasServerVersions {
			t.Errorf("GTID %d: 5.7 events carry no commit timestamps or versions", i)
		}
	}
}

// MySQL 5.6 GTID events end after the GNO.
func TestGTIDCorpusMySQL56(t *testing.T) {
	gtids := bodies[*GTIDEvent](decodeCorpusFile(t, "rust_mysql_common/binlog_56_gtid_reserved_word.000001"))
	if len(gtids) != 6 {
		t.Fatalf("got %d GTID events, want 6", len(gtids))
	}
	for i, g := range gtids {
		if g.SID.String() != "11111111-1111-1111-1111-111111111111" || g.GNO != int64(i+1) || g.HasLogicalClock {
			t.Errorf("GTID %d = %+v", i, g)
		}
	}
}

func TestGTIDCorpusMySQL80(t *testing.T) {
	evs := decodeCorpusFile(t, "mysql-server-8.0.43-snapshot/binlog_recovery/duplicate_xid_xa_commit.000001")
	g := bodies[*GTIDEvent](evs)[0]
	if g.String() != "8aeeb092-8dcf-11ec-905c-0010e0dc7238:1" {
		t.Errorf("GTID = %s", g)
	}
	// The FDE's create_timestamp is 1644868309: the commit follows it.
	if !g.HasCommitTimestamps || g.ImmediateCommitTimestamp != 1644868309434105 || g.OriginalCommitTimestamp != g.ImmediateCommitTimestamp {
		t.Errorf("commit timestamps %v %d %d", g.HasCommitTimestamps, g.ImmediateCommitTimestamp, g.OriginalCommitTimestamp)
	}
	if !g.HasServerVersions || g.ImmediateServerVersion != 80030 || g.OriginalServerVersion != 80030 {
		t.Errorf("server versions %v %d %d", g.HasServerVersions, g.ImmediateServerVersion, g.OriginalServerVersion)
	}
	// transaction_length covers the GTID, QUERY, TABLE_MAP, WRITE_ROWS and
	// XID events: positions 157 to 430.
	if !g.HasTransactionLength || g.TransactionLength != 430-157 {
		t.Errorf("transaction length %v %d, want %d", g.HasTransactionLength, g.TransactionLength, 430-157)
	}
	anon := bodies[*GTIDEvent](decodeCorpusFile(t, "mysql-binlog-connector-java/mysql-bin.compressed"))[0]
	if !anon.Anonymous || anon.String() != "ANONYMOUS" || anon.GNO != 0 || anon.ImmediateServerVersion != 80028 {
		t.Errorf("anonymous GTID = %+v", anon)
	}
}

func TestGTIDTaggedCorpus(t *testing.T) {
	evs := decodeCorpusFile(t, "rust_mysql_common/binlog_transaction_with_GTID_TAG.000001")
	gs := bodies[*GTIDEvent](evs)
	if len(gs) != 1 {
		t.Fatalf("got %d GTID events, want 1", len(gs))
	}
	g := gs[0]
	want := &GTIDEvent{
		GTID: "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3", SID: g.SID, GNO: 3, Tag: "mytag",
		HasLogicalClock: true, LastCommitted: 0, SequenceNumber: 1,
		HasCommitTimestamps: true, ImmediateCommitTimestamp: 1770368687207196, OriginalCommitTimestamp: 1770368687207196,
		HasTransactionLength: true, TransactionLength: 296,
		HasServerVersions: true, ImmediateServerVersion: 90600, OriginalServerVersion: 90600,
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("GTID_TAGGED =\n %+v\nwant\n %+v", g, want)
	}
	prev := bodies[*PreviousGTIDsEvent](evs)[0]
	if got := prev.GTIDSet.String(); got != "55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2" {
		t.Errorf("previous GTIDs = %s", got)
	}
	if ivs := prev.GTIDSet.Intervals(g.SID, "mytag"); !reflect.DeepEqual(ivs, []gtid.Interval{{Start: 1, End: 2}}) {
		t.Errorf("previous GTIDs, tag mytag = %+v", ivs)
	}
	if js := jsonOf(t, prev); js != `{"gtid_set":"55778904-0299-11f1-b1b8-4ef0c4956feb:1-13:mytag:1-2"}` {
		t.Errorf("JSON = %s", js)
	}
}

func TestPreviousGTIDsCorpusUntagged(t *testing.T) {
	prev := bodies[*PreviousGTIDsEvent](decodeCorpusFile(t, "mysql-binlog-connector-rust/mysql-bin.000057"))[0]
	if got := prev.GTIDSet.String(); got != "76f3e7be-6720-11ed-9cad-0242ac110002:1-10" {
		t.Errorf("previous GTIDs = %s", got)
	}
	empty := bodies[*PreviousGTIDsEvent](decodeCorpusFile(t, "mysql-cdc-rs/5.7/33_35_gtid_prev_gtid/log.bin"))[0]
	if !empty.GTIDSet.IsEmpty() || empty.GTIDSet.String() != "" {
		t.Errorf("empty previous GTIDs = %v", empty.GTIDSet)
	}
}

// gtidBody builds an untagged GTID body with every optional part.
func gtidBody(flags byte, sid UUID, gno int64, lc, seq int64, imm, orig uint64, trxLen []byte, immVer, origVer uint32, ticket uint64) []byte {
	b := append([]byte{flags}, sid[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(gno))
	b = append(b, gtidLogicalClockTypeCode)
	b = binary.LittleEndian.AppendUint64(b, uint64(lc))
	b = binary.LittleEndian.AppendUint64(b, uint64(seq))
	put56 := func(v uint64) {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48))
	}
	if orig != imm {
		put56(imm | commitTimestampOrigBit)
		put56(orig)
	} else {
		put56(imm)
	}
	b = append(b, trxLen...)
	if origVer != immVer {
		b = binary.LittleEndian.AppendUint32(b, immVer|serverVersionOrigBit)
		b = binary.LittleEndian.AppendUint32(b, origVer)
	} else {
		b = binary.LittleEndian.AppendUint32(b, immVer)
	}
	if ticket != 0 {
		b = binary.LittleEndian.AppendUint64(b, ticket)
	}
	return b
}

var testSID = UUID{0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62}

func TestGTIDHandBuiltFull(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	body := gtidBody(1, testSID, 23, 7, 8, 1700000000123456, 1690000000654321, []byte{0xfc, 0x10, 0x27}, 80040, 50744, 99)
	g := mustBody[*GTIDEvent](t, d, GTIDEventType, body)
	want := &GTIDEvent{
		GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:23", Flags: 1, MayHaveSBR: true, SID: testSID, GNO: 23,
		HasLogicalClock: true, LastCommitted: 7, SequenceNumber: 8,
		HasCommitTimestamps: true, ImmediateCommitTimestamp: 1700000000123456, OriginalCommitTimestamp: 1690000000654321,
		HasTransactionLength: true, TransactionLength: 10000,
		HasServerVersions: true, ImmediateServerVersion: 80040, OriginalServerVersion: 50744,
		CommitGroupTicket: 99,
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}
	if js := jsonOf(t, g); !strings.Contains(js, `"sid":"3e11fa47-71ca-11e1-9e33-c80aa9429562"`) || !strings.Contains(js, `"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:23"`) {
		t.Errorf("JSON = %s", js)
	}
	// The server reads each optional part only if bytes remain: a body cut
	// anywhere either decodes (without the missing parts) or fails as
	// truncated, never otherwise.
	for cut := 25; cut < len(body); cut++ {
		g, err := decodeBody(t, d, GTIDEventType, body[:cut])
		if err != nil && !errors.Is(err, ErrTruncated) {
			t.Errorf("cut at %d: %v", cut, err)
		}
		if err == nil && cut > 25 && cut < 42 {
			t.Errorf("cut at %d inside the logical clock decoded: %+v", cut, g.Body)
		}
	}
}

func TestGTIDErrors(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	cases := []struct {
		name string
		typ  EventType
		body []byte
		want string
	}{
		{"GNO 0", GTIDEventType, gtidBody(0, testSID, 0, 0, 1, 5, 5, []byte{1}, 1, 1, 0), "GNO: 0 is outside"},
		{"anonymous with GNO", AnonymousGTIDEventType, gtidBody(0, testSID, 4, 0, 1, 5, 5, []byte{1}, 1, 1, 0), "want 0"},
		{"short SID", GTIDEventType, []byte{1, 2, 3}, "SID"},
		{"truncated logical clock", GTIDEventType, gtidBody(0, testSID, 1, 0, 1, 5, 5, []byte{1}, 1, 1, 0)[:30], "last_committed"},
		{"NULL transaction length", GTIDEventType, gtidBody(0, testSID, 1, 0, 1, 5, 5, []byte{0xfb}, 1, 1, 0), "0xfb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBody(t, d, tc.typ, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// varlenAppend encodes v in the serialization library's varlen format.
func varlenAppend(b []byte, v uint64) []byte {
	for n := 1; n <= 8; n++ {
		if v < 1<<(7*n) {
			x := v<<n | (1<<(n-1) - 1)
			for i := 0; i < n; i++ {
				b = append(b, byte(x>>(8*i)))
			}
			return b
		}
	}
	b = append(b, 0xff)
	return binary.LittleEndian.AppendUint64(b, v)
}

func zigzag(v int64) uint64 {
	if v >= 0 {
		return uint64(v) << 1
	}
	return uint64(-(v+1))<<1 | 1
}

// taggedBody builds a GTID_TAGGED message from (field id, encoded value)
// pairs.
func taggedBody(lastNonIgnorable uint64, fields ...[]byte) []byte {
	var payload []byte
	payload = varlenAppend(payload, lastNonIgnorable)
	for _, f := range fields {
		payload = append(payload, f...)
	}
	// The size counts the version byte and itself.
	size := uint64(1 + len(payload) + 1)
	if len(varlenAppend(nil, size)) > 1 {
		size++
	}
	b := []byte{2}
	b = varlenAppend(b, size)
	return append(b, payload...)
}

func field(id uint64, value []byte) []byte { return append(varlenAppend(nil, id), value...) }

func sidField(u UUID) []byte {
	var b []byte
	for _, x := range u {
		b = varlenAppend(b, uint64(x))
	}
	return field(tgSID, b)
}

func TestGTIDTaggedHandBuilt(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	body := taggedBody(0,
		field(tgFlags, varlenAppend(nil, 1)),
		sidField(testSID),
		field(tgGNO, varlenAppend(nil, zigzag(1<<40))),
		field(tgTag, append(varlenAppend(nil, 3), "abc"...)),
		field(tgLastCommitted, varlenAppend(nil, zigzag(-1))),
		field(tgSequenceNumber, varlenAppend(nil, zigzag(70000))),
		field(tgImmediateCommitTS, varlenAppend(nil, 1<<62)),
		field(tgOriginalCommitTS, varlenAppend(nil, 12345)),
		field(tgTransactionLength, varlenAppend(nil, 300)),
		field(tgImmediateServerVersion, varlenAppend(nil, 90100)),
		field(tgOriginalServerVersion, varlenAppend(nil, 80400)),
		field(tgCommitGroupTicket, varlenAppend(nil, 1<<63)),
	)
	g := mustBody[*GTIDEvent](t, d, GTIDTaggedEventType, body)
	want := &GTIDEvent{
		GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:abc:1099511627776", Flags: 1, MayHaveSBR: true, SID: testSID, GNO: 1 << 40, Tag: "abc",
		HasLogicalClock: true, LastCommitted: -1, SequenceNumber: 70000,
		HasCommitTimestamps: true, ImmediateCommitTimestamp: 1 << 62, OriginalCommitTimestamp: 12345,
		HasTransactionLength: true, TransactionLength: 300,
		HasServerVersions: true, ImmediateServerVersion: 90100, OriginalServerVersion: 80400,
		CommitGroupTicket: 1 << 63,
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}

	// Optional fields absent: originals take the immediate values.
	body = taggedBody(0, sidField(testSID), field(tgGNO, varlenAppend(nil, zigzag(5))),
		field(tgImmediateCommitTS, varlenAppend(nil, 777)), field(tgImmediateServerVersion, varlenAppend(nil, 90600)))
	g = mustBody[*GTIDEvent](t, d, GTIDTaggedEventType, body)
	if g.OriginalCommitTimestamp != 777 || g.OriginalServerVersion != 90600 || g.Tag != "" || g.String() != "3e11fa47-71ca-11e1-9e33-c80aa9429562:5" {
		t.Errorf("defaults: %+v", g)
	}

	// A trailing ignorable field of a newer server is skipped.
	body = taggedBody(tgGNO, sidField(testSID), field(tgGNO, varlenAppend(nil, zigzag(5))), field(40, []byte{7, 7}))
	if g = mustBody[*GTIDEvent](t, d, GTIDTaggedEventType, body); g.GNO != 5 {
		t.Errorf("with ignorable field: %+v", g)
	}
}

func TestGTIDTaggedErrors(t *testing.T) {
	d := newTestDecoder(t, FlavorMySQL)
	gno := field(tgGNO, varlenAppend(nil, zigzag(5)))
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"unknown required field", taggedBody(20, sidField(testSID), gno), "field id 20 is required"},
		{"missing SID", taggedBody(0, gno), "required field SID"},
		{"size beyond body", append([]byte{2}, varlenAppend(nil, 100)...), "exceeds"},
		{"tag too long", taggedBody(0, sidField(testSID), gno, field(tgTag, append(varlenAppend(nil, 40), make([]byte, 40)...))), "tag length 40"},
		{"decreasing ids", taggedBody(0, sidField(testSID), gno, field(tgFlags, []byte{0})), "ids must increase"},
		{"flags too big", taggedBody(0, field(tgFlags, varlenAppend(nil, 300)), sidField(testSID), gno), "exceeds 255"},
		{"empty", nil, "serialization format version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeBody(t, d, GTIDTaggedEventType, tc.body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestVarlenReader(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 65535, 1 << 20, 1<<56 - 1, 1 << 56, 1<<63 + 5, ^uint64(0)} {
		b := varlenAppend(nil, v)
		r := varlenReader{buf: b}
		if got := r.unsigned("v"); got != v || r.err != nil || r.pos != len(b) {
			t.Errorf("%d: got %d err %v pos %d/%d", v, got, r.err, r.pos, len(b))
		}
	}
	// The readme's examples: 65535 is 3 bytes 0xfb 0xff 0x07 (BE
	// "00000111 11111111 11111011").
	r := varlenReader{buf: []byte{0xfb, 0xff, 0x07}}
	if got := r.unsigned("v"); got != 65535 {
		t.Errorf("65535 example decoded as %d", got)
	}
	for _, v := range []int64{0, 1, -1, 65535, -65535, -65536, 1 << 62, -(1 << 63)} {
		r := varlenReader{buf: varlenAppend(nil, zigzag(v))}
		if got := r.signed("v"); got != v {
			t.Errorf("signed %d decoded as %d", v, got)
		}
	}
	r = varlenReader{buf: []byte{0x03, 0x00}}
	r.unsigned("v")
	if r.err == nil {
		t.Error("truncated varlen: no error")
	}
}

// testGTIDEntry and testInterval describe a GTID set as the server writes
// it, for building raw bytes (interval ends are exclusive, as on the wire).
type testGTIDEntry struct {
	SID       UUID
	Tag       string
	Intervals []testInterval
}

type testInterval struct{ Start, End int64 }

func gtidSetBytes(tagged bool, entries []testGTIDEntry) []byte {
	var b []byte
	if tagged {
		b = append(b, 1, byte(len(entries)), 0, 0, 0, 0, 0, 1)
	} else {
		b = binary.LittleEndian.AppendUint64(b, uint64(len(entries)))
	}
	for _, e := range entries {
		b = append(b, e.SID[:]...)
		if tagged {
			b = varlenAppend(b, uint64(len(e.Tag)))
			b = append(b, e.Tag...)
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(e.Intervals)))
		for _, iv := range e.Intervals {
			b = binary.LittleEndian.AppendUint64(b, uint64(iv.Start))
			b = binary.LittleEndian.AppendUint64(b, uint64(iv.End))
		}
	}
	return b
}

func TestGTIDSetHandBuilt(t *testing.T) {
	other := UUID{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	entries := []testGTIDEntry{
		{SID: testSID, Intervals: []testInterval{{1, 6}, {7, 8}, {10, 100}}},
		{SID: testSID, Tag: "blue", Intervals: []testInterval{{3, 4}}},
		{SID: other, Intervals: []testInterval{{1, 2}}},
	}
	want := "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7:10-99:blue:3,ff010203-0405-0607-0809-0a0b0c0d0e0f:1"
	set, err := gtid.DecodeSet(gtidSetBytes(true, entries))
	if err != nil || set.String() != want {
		t.Errorf("tagged: %v %q", err, set)
	}
	untagged := []testGTIDEntry{entries[0], entries[2]}
	set, err = gtid.DecodeSet(gtidSetBytes(false, untagged))
	if err != nil || set.String() != "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7:10-99,ff010203-0405-0607-0809-0a0b0c0d0e0f:1" {
		t.Errorf("untagged: %v %q", err, set)
	}
	bad := gtidSetBytes(false, []testGTIDEntry{{SID: testSID, Intervals: []testInterval{{5, 5}}}})
	if _, err := gtid.DecodeSet(bad); err == nil || !strings.Contains(err.Error(), "interval [5, 5)") {
		t.Errorf("empty interval: %v", err)
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	if _, err := gtid.DecodeSet(huge); err == nil || !strings.Contains(err.Error(), "cannot fit") {
		t.Errorf("huge SID count: %v", err)
	}
	d := newTestDecoder(t, FlavorMySQL)
	p := mustBody[*PreviousGTIDsEvent](t, d, PreviousGTIDsEventType, gtidSetBytes(true, entries))
	if p.GTIDSet.String() != want {
		t.Errorf("PREVIOUS_GTIDS = %s", p.GTIDSet)
	}
}

func FuzzGTID(f *testing.F) {
	f.Add(uint8(0), gtidBody(1, testSID, 23, 7, 8, 1700000000123456, 1690000000654321, []byte{0xfc, 0x10, 0x27}, 80040, 50744, 99))
	f.Add(uint8(2), taggedBody(0, sidField(testSID), field(tgGNO, varlenAppend(nil, zigzag(5))), field(tgTag, append(varlenAppend(nil, 1), 'x'))))
	f.Add(uint8(3), gtidSetBytes(true, []testGTIDEntry{{SID: testSID, Tag: "t", Intervals: []testInterval{{1, 3}}}}))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		d := newTestDecoder(t, FlavorMySQL)
		typ := []EventType{GTIDEventType, AnonymousGTIDEventType, GTIDTaggedEventType, PreviousGTIDsEventType, TransactionContextEventType}[int(which)%5]
		ev, err := decodeBody(t, d, typ, body)
		if err != nil {
			return
		}
		if _, err := jsonMarshal(ev.Body); err != nil {
			t.Fatalf("%s does not render as JSON: %v", typ, err)
		}
		if g, ok := ev.Body.(*GTIDEvent); ok && g.String() == "" {
			t.Fatalf("%s decoded without a GTID text", typ)
		}
	})
}
