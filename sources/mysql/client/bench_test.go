package client

import (
	"context"
	"testing"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// streamServer authenticates anyone and answers COM_BINLOG_DUMP with an
// endless stream of eventSize-byte events until the client hangs up.
func streamServer(tb testing.TB, eventSize int) string {
	return fakeServerTB(tb, func(fc *fakeConn) error {
		if r, err := fc.greet(fakeCaps, pluginNative, fakeNonce, nil); err != nil || r == nil {
			return err
		}
		fc.fr.WritePacket(okPacket())
		for {
			fc.fr.ResetSequence()
			p, err := fc.fr.ReadPacket()
			if err != nil || len(p) == 0 || p[0] == proto.ComQuit {
				return nil
			}
			if p[0] == proto.ComBinlogDump {
				break
			}
			fc.fr.WritePacket(okPacket())
		}
		// 256 packets: the sequence ids wrap around to where they started,
		// so the same bytes can be written again and again.
		var wire []byte
		for i := range 256 {
			n := eventSize + 1
			wire = append(wire, byte(n), byte(n>>8), byte(n>>16), byte(i+1))
			wire = append(wire, 0)
			ev := make([]byte, eventSize)
			ev[4] = 30 // WRITE_ROWS_EVENT
			wire = append(wire, ev...)
		}
		for {
			if _, err := fc.nc.Write(wire); err != nil {
				return nil
			}
		}
	})
}

func BenchmarkReadEvent(b *testing.B) {
	for _, size := range []int{200, 8000} {
		for _, timeout := range []time.Duration{0, time.Minute} {
			b.Run(itoa(size)+"B/timeout="+timeout.String(), func(b *testing.B) {
				addr := streamServer(b, size)
				cfg := fakeConfig(addr)
				c, err := Connect(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if err := c.StartBinlogDump(ctx, proto.BinlogDump{Pos: 4, ServerID: 9}); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					ev, err := c.ReadEvent(ctx, timeout)
					if err != nil {
						b.Fatal(err)
					}
					if len(ev) != size || ev[4] != 30 {
						b.Fatalf("event of %d bytes, type %d", len(ev), ev[4])
					}
				}
			})
		}
	}
}

// TestReadEventAllocations checks the steady state of the hot path: no
// allocation per event with a cancellable context and a timeout.
func TestReadEventAllocations(t *testing.T) {
	addr := streamServer(t, 500)
	c, err := Connect(t.Context(), fakeConfig(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := c.StartBinlogDump(ctx, proto.BinlogDump{Pos: 4, ServerID: 9}); err != nil {
		t.Fatal(err)
	}
	c.ReadEvent(ctx, time.Minute)
	allocs := testing.AllocsPerRun(2000, func() {
		if _, err := c.ReadEvent(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%.2f allocations per ReadEvent", allocs)
	}
}
