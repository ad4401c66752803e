package binlog

import (
	"encoding/binary"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestMariaDBCorpusGenerated(t *testing.T) {
	evs := decodeCorpusFile(t, "generated-mariadb-10.11/mariadb-bin.000002")
	lists := bodies[*MariaGTIDListEvent](evs)
	if len(lists) != 1 || len(lists[0].GTIDs) != 1 || lists[0].GTIDs[0] != (MariaGTID{3, 17, 10}) || lists[0].Flags != 0 {
		t.Fatalf("GTID list = %+v", lists)
	}
	if js := jsonOf(t, lists[0]); js != `{"flags":0,"gtids":["3-17-10"]}` {
		t.Errorf("GTID list JSON = %s", js)
	}
	cps := bodies[*BinlogCheckpointEvent](evs)
	if len(cps) != 2 || cps[0].File != "mariadb-bin.000001" || cps[1].File != "mariadb-bin.000002" {
		t.Errorf("checkpoints = %+v", cps)
	}
	gtids := bodies[*MariaGTIDEvent](evs)
	if len(gtids) != 14 {
		t.Fatalf("got %d GTIDs, want 14 (3-17-11 .. 3-17-24)", len(gtids))
	}
	for i, g := range gtids {
		if want := "3-17-" + strconv.Itoa(11+i); g.String() != want || g.ServerID != 17 || g.DomainID != 3 {
			t.Errorf("GTID %d = %s", i, g)
		}
	}
	// 3-17-11: CREATE TABLE, a standalone DDL group.
	if g := gtids[0]; !g.Standalone || !g.DDL || g.Transactional || !g.AllowParallel || g.Flags != 0x29 {
		t.Errorf("DDL GTID = %+v", g)
	}
	// 3-17-12: XA PREPARE of X'786131',X'6271',7 (phaseB.sql: XA START 'xa1','bq',7).
	xa := gtids[1]
	if !xa.PreparedXA || xa.CompletedXA || xa.XID == nil || xa.XID.String() != "X'786131',X'6271',7" || string(xa.XID.GTRID) != "xa1" || string(xa.XID.BQUAL) != "bq" {
		t.Errorf("XA PREPARE GTID = %+v xid %+v", xa, xa.XID)
	}
	if xa.FlagsExtra != MariaGTIDExtraMultiEngine || xa.ExtraEngines != 255 {
		t.Errorf("XA PREPARE extra flags %#x engines %d", xa.FlagsExtra, xa.ExtraEngines)
	}
	// 3-17-13: XA COMMIT of the same XID, standalone.
	if c := gtids[2]; !c.CompletedXA || !c.Standalone || c.XID == nil || c.XID.String() != "X'786131',X'6271',7" {
		t.Errorf("XA COMMIT GTID = %+v", c)
	}
	if js := jsonOf(t, xa); !strings.Contains(js, `"xid":"X'786131',X'6271',7"`) || !strings.Contains(js, `"gtid":"3-17-12"`) {
		t.Errorf("XA GTID JSON = %s", js)
	}
	xps := bodies[*XAPrepareEvent](evs)
	if len(xps) != 2 || xps[0].XID.String() != "X'786131',X'6271',7" || xps[1].XID.String() != "X'786132',X'',1" || xps[0].OnePhase {
		t.Errorf("XA_PREPARE events = %+v", xps)
	}
	// A non-transactional (MyISAM) group: neither standalone nor
	// transactional.
	if g := gtids[11]; g.Flags != MariaGTIDAllowParallel {
		t.Errorf("3-17-22 flags %#x, want 0x08", g.Flags)
	}
}

func TestMariaDBCorpusAnnotateRows(t *testing.T) {
	evs := decodeCorpusFile(t, "generated-mariadb-10.11/mariadb-bin.000003")
	found := false
	for _, a := range bodies[*AnnotateRowsEvent](evs) {
		if a.Query == "INSERT INTO stm_t (name, r) VALUES ('uuid-mixed', LENGTH(UUID()))" {
			found = true
		}
	}
	if !found {
		t.Errorf("annotate rows event of the mixed-format INSERT not found in %d events", len(bodies[*AnnotateRowsEvent](evs)))
	}
	if l := bodies[*MariaGTIDListEvent](evs); len(l) != 1 || l[0].GTIDs[0].String() != "3-17-24" {
		t.Errorf("GTID list = %+v", l)
	}
}

// MariaDB 10.0: checksums off, group commit ids.
func TestMariaDBCorpusGroupCommit(t *testing.T) {
	evs := decodeCorpusFile(t, "mariadb-server-10.4-snapshot/mdev6020-mysql-bin.000001")
	gtids := bodies[*MariaGTIDEvent](evs)
	if len(gtids) != 1381 {
		t.Fatalf("got %d GTIDs, want 1381", len(gtids))
	}
	withCID := 0
	for _, g := range gtids {
		if g.String() == "0-1-52" && (g.CommitID != 164 || g.Flags&MariaGTIDGroupCommitID == 0) {
			t.Errorf("0-1-52 commit id = %d flags %#x, want cid=164", g.CommitID, g.Flags)
		}
		if g.Flags&MariaGTIDGroupCommitID != 0 {
			withCID++
		}
	}
	if withCID == 0 {
		t.Error("no GTID with a group commit id")
	}
	if l := bodies[*MariaGTIDListEvent](evs); len(l) != 1 || len(l[0].GTIDs) != 0 {
		t.Errorf("GTID list = %+v", l)
	}
	if c := bodies[*BinlogCheckpointEvent](evs); len(c) != 1 || c[0].File != "mysql-bin.000001" {
		t.Errorf("checkpoint = %+v", c)
	}
}

// mariaGTIDBody builds a MariaDB GTID body; tail is appended after flags
// (and padded with zeros to 19 bytes).
func mariaGTIDBody(seq uint64, domain uint32, flags byte, tail ...[]byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, seq)
	b = binary.LittleEndian.AppendUint32(b, domain)
	b = append(b, flags)
	for _, t := range tail {
		b = append(b, t...)
	}
	for len(b) < mariaGTIDHeaderLen {
		b = append(b, 0)
	}
	return b
}

func TestMariaDBGTIDHandBuilt(t *testing.T) {
	d := newTestDecoder(t, FlavorMariaDB)
	flags := MariaGTIDGroupCommitID | MariaGTIDCompletedXA | MariaGTIDTransactional | MariaGTIDWaited
	body := mariaGTIDBody(1<<40, 9, flags,
		u64le(555),                              // commit id
		u32le(1), []byte{3, 2}, []byte("abcde"), // XID
		[]byte{MariaGTIDExtraMultiEngine | MariaGTIDExtraRollbackAlter | MariaGTIDExtraThreadID, 2},
		u64le(1234), u32le(88),
	)
	g := mustBody[*MariaGTIDEvent](t, d, MariaGTIDEventType, body)
	want := &MariaGTIDEvent{
		GTID: "9-7-1099511627776", DomainID: 9, ServerID: 7, SeqNo: 1 << 40, Flags: flags,
		Transactional: true, Waited: true, CompletedXA: true, CommitID: 555,
		XID:        &XID{FormatID: 1, GTRID: []byte("abc"), BQUAL: []byte("de")},
		FlagsExtra: MariaGTIDExtraMultiEngine | MariaGTIDExtraRollbackAlter | MariaGTIDExtraThreadID, ExtraEngines: 2,
		StartAlterSeqNo: 1234, HasThreadID: true, ThreadID: 88,
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got  %+v\nwant %+v", g, want)
	}
	// Plain GTID: the zero padding reads as "no extra flags".
	g = mustBody[*MariaGTIDEvent](t, d, MariaGTIDEventType, mariaGTIDBody(5, 0, MariaGTIDStandalone|MariaGTIDDDL))
	if g.String() != "0-7-5" || !g.Standalone || !g.DDL || g.FlagsExtra != 0 || g.XID != nil || g.CommitID != 0 {
		t.Errorf("plain GTID = %+v", g)
	}
}

func TestMariaDBEventErrors(t *testing.T) {
	d := newTestDecoder(t, FlavorMariaDB)
	cases := []struct {
		name string
		typ  EventType
		body []byte
		want string
	}{
		{"GTID shorter than 19", MariaGTIDEventType, mariaGTIDBody(1, 1, 0)[:13], "at least 19"},
		{"GTID commit id cut", MariaGTIDEventType, mariaGTIDBody(1, 1, MariaGTIDGroupCommitID|MariaGTIDPreparedXA, u64le(1)), "XID"},
		{"GTID XID too long", MariaGTIDEventType, mariaGTIDBody(1, 1, MariaGTIDPreparedXA, u32le(1), []byte{65, 0}), "at most 64"},
		{"GTID list count", MariaGTIDListEventType, u32le(3), "3 GTIDs need 48 bytes"},
		{"checkpoint length", MariaBinlogCheckpointEventType, cat(u32le(50), []byte("abc")), "file name length 50"},
		{"start encryption short", MariaStartEncryptionEventType, []byte{1, 0, 0, 0, 0, 1, 2}, "nonce"},
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

func TestMariaDBOtherEventsHandBuilt(t *testing.T) {
	d := newTestDecoder(t, FlavorMariaDB)
	list := mustBody[*MariaGTIDListEvent](t, d, MariaGTIDListEventType,
		cat(u32le(2|uint32(MariaGTIDListIgnoreGTIDs)<<28), u32le(0), u32le(1), u64le(10), u32le(4), u32le(2), u64le(99)))
	if list.Flags != MariaGTIDListIgnoreGTIDs || !reflect.DeepEqual(list.GTIDs, []MariaGTID{{0, 1, 10}, {4, 2, 99}}) {
		t.Errorf("GTID list = %+v", list)
	}
	nonce := []byte("0123456789ab")
	enc := mustBody[*StartEncryptionEvent](t, d, MariaStartEncryptionEventType, cat([]byte{1}, u32le(3), nonce))
	if enc.Scheme != 1 || enc.KeyVersion != 3 || string(enc.Nonce) != string(nonce) {
		t.Errorf("start encryption = %+v", enc)
	}
	ar := mustBody[*AnnotateRowsEvent](t, d, MariaAnnotateRowsEventType, []byte("DELETE FROM t"))
	if ar.Query != "DELETE FROM t" {
		t.Errorf("annotate rows = %+v", ar)
	}
	cp := mustBody[*BinlogCheckpointEvent](t, d, MariaBinlogCheckpointEventType, cat(u32le(8), []byte("bin.0001")))
	if cp.File != "bin.0001" {
		t.Errorf("checkpoint = %+v", cp)
	}
}

func FuzzMariaDBEvents(f *testing.F) {
	f.Add(uint8(0), mariaGTIDBody(1, 2, MariaGTIDGroupCommitID|MariaGTIDPreparedXA, u64le(5), u32le(1), []byte{1, 1, 'a', 'b'}, []byte{0x1f, 1}, u64le(3), u32le(4)))
	f.Add(uint8(1), cat(u32le(1), u32le(0), u32le(1), u64le(10)))
	f.Add(uint8(2), cat(u32le(3), []byte("abc")))
	f.Add(uint8(3), cat([]byte{1}, u32le(3), []byte("0123456789ab")))
	f.Add(uint8(4), []byte("INSERT"))
	f.Add(uint8(5), queryBody(1, "db", []byte{qMariaGTIDFlags3Code, 8, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{0x81, 1, 0x78, 0x9c}))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		d := newTestDecoder(t, FlavorMariaDB)
		typ := []EventType{MariaGTIDEventType, MariaGTIDListEventType, MariaBinlogCheckpointEventType,
			MariaStartEncryptionEventType, MariaAnnotateRowsEventType, MariaQueryCompressedEventType}[int(which)%6]
		ev, err := decodeBody(t, d, typ, body)
		if err != nil {
			return
		}
		if _, err := jsonMarshal(ev.Body); err != nil {
			t.Fatalf("%s does not render as JSON: %v", typ, err)
		}
		if g, ok := ev.Body.(*MariaGTIDEvent); ok && g.XID != nil && (len(g.XID.GTRID) > 64 || len(g.XID.BQUAL) > 64) {
			t.Fatalf("oversized XID accepted: %+v", g.XID)
		}
	})
}

// MariaDB 11.5+ writes the originating thread id in GTID events
// (FL_EXTRA_THREAD_ID); it equals the thread_id of the group's QUERY.
func TestMariaDBCorpusGTIDThreadID(t *testing.T) {
	evs := decodeCorpusFile(t, "mariadb-poc/domain_id_0/mariadb-repl-bin.000010")
	checked := 0
	for i := 0; i+1 < len(evs); i++ {
		g, ok := evs[i].Ev.Body.(*MariaGTIDEvent)
		if !ok {
			continue
		}
		if g.FlagsExtra&MariaGTIDExtraThreadID == 0 || !g.HasThreadID {
			t.Fatalf("%s: no thread id (flags_extra %#x)", g, g.FlagsExtra)
		}
		if q, ok := evs[i+1].Ev.Body.(*QueryEvent); ok {
			if q.ThreadID != g.ThreadID {
				t.Errorf("%s: thread id %d, its QUERY says %d", g, g.ThreadID, q.ThreadID)
			}
			checked++
		}
	}
	if checked < 5 {
		t.Errorf("only %d GTID/QUERY pairs checked", checked)
	}
	first := bodies[*MariaGTIDEvent](evs)[0]
	if first.String() != "0-10-292197" || first.ThreadID != 5 || !first.DDL {
		t.Errorf("first GTID = %+v", first)
	}
}
