package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// dumpServer authenticates anyone, checks that the dump command equals
// want, and then plays reply: a list of packet payloads.
func dumpServer(t *testing.T, want []byte, reply ...[]byte) string {
	return fakeServer(t, func(fc *fakeConn) error {
		if r, err := fc.greet(fakeCaps, pluginNative, fakeNonce, nil); err != nil || r == nil {
			return err
		}
		fc.fr.WritePacket(okPacket())
		fc.fr.ResetSequence()
		p, err := fc.fr.ReadPacket()
		if err != nil {
			return err
		}
		if !bytes.Equal(p, want) {
			return fmt.Errorf("dump command % x, want % x", p, want)
		}
		for _, r := range reply {
			if err := fc.fr.WritePacket(r); err != nil {
				return nil
			}
		}
		fc.drain()
		return nil
	})
}

func TestFakeBinlogDumpGTID(t *testing.T) {
	d := proto.BinlogDumpGTID{Flags: proto.BinlogThroughGTID, ServerID: 77, File: "", Pos: 4, GTIDData: []byte{1, 0, 0, 0, 0, 0, 0, 0}}
	ev := append([]byte{0}, make([]byte, 19)...)
	ev[5] = 4 // event type at offset 4 of the event
	addr := dumpServer(t, d.Append(nil), ev, []byte{0xfe, 0, 0, 2, 0})
	c, err, _ := connectFake(t, fakeConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartBinlogDumpGTID(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadEvent(t.Context(), time.Second)
	if err != nil || len(got) != 19 || got[4] != 4 {
		t.Fatalf("event % x, %v", got, err)
	}
	if _, err := c.ReadEvent(t.Context(), time.Second); err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
}

// TestFakeHugeEvent: an event larger than one packet (the server splits it
// at 16 MiB - 1) comes back whole, and the next small event after it too.
func TestFakeHugeEvent(t *testing.T) {
	d := proto.BinlogDump{Pos: 4, ServerID: 78, File: "bin.000001"}
	huge := make([]byte, 1+proto.MaxPayloadLen+100)
	for i := range huge {
		huge[i] = byte(i * 31)
	}
	huge[0] = 0
	small := []byte{0, 1, 2, 3, 4, 5}
	addr := dumpServer(t, d.Append(nil), huge, small, errPacket(1236, "HY000", "Could not find first log file name in binary log index file"))
	c, err, _ := connectFake(t, fakeConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartBinlogDump(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadEvent(t.Context(), 5*time.Second)
	if err != nil || !bytes.Equal(got, huge[1:]) {
		t.Fatalf("huge event: %d bytes, %v", len(got), err)
	}
	got, err = c.ReadEvent(t.Context(), 5*time.Second)
	if err != nil || !bytes.Equal(got, small[1:]) {
		t.Fatalf("small event: % x, %v", got, err)
	}
	_, err = c.ReadEvent(t.Context(), 5*time.Second)
	var se *proto.ServerError
	if !errors.As(err, &se) || se.Code != 1236 || se.SQLState != "HY000" {
		t.Fatalf("err = %v, want ServerError 1236", err)
	}
	if _, err := c.ReadEvent(t.Context(), time.Second); !errors.Is(err, ErrBroken) {
		t.Fatalf("after the ERR: %v", err)
	}
}
