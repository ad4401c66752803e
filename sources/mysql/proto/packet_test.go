package proto

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// rw is an in-memory stream: writes append to w, reads come from r.
type rw struct {
	r io.Reader
	w bytes.Buffer
}

func (s *rw) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *rw) Write(p []byte) (int, error) { return s.w.Write(p) }

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>16)
	}
	return b
}

func TestSplitJoinBoundaries(t *testing.T) {
	sizes := []int{0, 1, 0xfffffe, 0xffffff, 0xffffff * 2, 0x1000000 + 5}
	for _, size := range sizes {
		payload := pattern(size)
		w := &rw{}
		f := NewFramer(w)
		if err := f.WritePacket(payload); err != nil {
			t.Fatalf("%d: write: %v", size, err)
		}
		// Check the physical chunks.
		wire := w.w.Bytes()
		wantChunks := size/MaxPayloadLen + 1
		var chunks int
		for off := 0; off < len(wire); chunks++ {
			n := int(wire[off]) | int(wire[off+1])<<8 | int(wire[off+2])<<16
			if int(wire[off+3]) != chunks {
				t.Fatalf("%d: chunk %d has sequence id %d", size, chunks, wire[off+3])
			}
			off += 4 + n
		}
		if chunks != wantChunks {
			t.Fatalf("%d bytes: %d chunks, want %d", size, chunks, wantChunks)
		}
		if len(wire) != size+4*wantChunks {
			t.Fatalf("%d bytes: wire length %d", size, len(wire))
		}
		for _, name := range []string{"whole", "half"} {
			var r io.Reader = bytes.NewReader(wire)
			if name == "half" {
				r = iotest.HalfReader(r)
			}
			rf := NewFramer(&rw{r: r})
			got, err := rf.ReadPacket()
			if err != nil {
				t.Fatalf("%d %s: read: %v", size, name, err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("%d %s: payload differs (got %d bytes)", size, name, len(got))
			}
			if rf.Sequence() != uint8(wantChunks) {
				t.Fatalf("%d: sequence after read %d, want %d", size, rf.Sequence(), wantChunks)
			}
			if _, err := rf.ReadPacket(); err != io.EOF {
				t.Fatalf("%d %s: read after last packet: %v, want io.EOF", size, name, err)
			}
		}
	}
}

func TestReadOneByteReader(t *testing.T) {
	w := &rw{}
	f := NewFramer(w)
	msgs := [][]byte{[]byte("hello"), {}, pattern(70000)}
	for _, m := range msgs {
		if err := f.WritePacket(m); err != nil {
			t.Fatal(err)
		}
	}
	rf := NewFramer(&rw{r: iotest.OneByteReader(bytes.NewReader(w.w.Bytes()))})
	for i, m := range msgs {
		got, err := rf.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(got, m) {
			t.Fatalf("packet %d differs", i)
		}
	}
}

func TestBadSequence(t *testing.T) {
	wire := []byte{1, 0, 0, 0, 'a', 1, 0, 0, 5, 'b'}
	f := NewFramer(&rw{r: bytes.NewReader(wire)})
	if _, err := f.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	_, err := f.ReadPacket()
	var se *SequenceError
	if !errors.As(err, &se) || se.Expected != 1 || se.Got != 5 {
		t.Fatalf("err = %v, want SequenceError expected 1 got 5", err)
	}
	if !strings.Contains(err.Error(), "expected sequence id 1, got 5") {
		t.Fatalf("message %q", err)
	}
	// After ResetSequence a packet with id 0 is accepted.
	f = NewFramer(&rw{r: bytes.NewReader([]byte{1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b'})})
	f.ReadPacket()
	f.ResetSequence()
	if p, err := f.ReadPacket(); err != nil || string(p) != "b" {
		t.Fatalf("after reset: %q %v", p, err)
	}
}

func TestShortReads(t *testing.T) {
	cases := []struct {
		wire []byte
		want string
	}{
		{[]byte{5}, "read 1 of 4 header bytes"},
		{[]byte{5, 0, 0}, "read 3 of 4 header bytes"},
		{[]byte{5, 0, 0, 0, 'a', 'b'}, "read 2 of 5 payload bytes"},
		{append([]byte{0xff, 0xff, 0xff, 0}, pattern(MaxPayloadLen)...), "read 0 of 4 header bytes"},
	}
	for _, c := range cases {
		f := NewFramer(&rw{r: iotest.HalfReader(bytes.NewReader(c.wire))})
		_, err := f.ReadPacket()
		if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("% x...: err = %v, want ErrUnexpectedEOF with %q", c.wire[:min(8, len(c.wire))], err, c.want)
		}
	}
	f := NewFramer(&rw{r: bytes.NewReader(nil)})
	if _, err := f.ReadPacket(); err != io.EOF {
		t.Fatalf("empty stream: %v, want io.EOF", err)
	}
	// A read error other than EOF is passed through, wrapped.
	boom := errors.New("boom")
	f = NewFramer(&rw{r: iotest.ErrReader(boom)})
	if _, err := f.ReadPacket(); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

func TestMaxPacketSize(t *testing.T) {
	// A lying header announcing a full chunk, then nothing: refused by
	// size, no allocation of 16 MiB.
	wire := []byte{0xff, 0xff, 0xff, 0}
	f := NewFramer(&rw{r: bytes.NewReader(wire)})
	f.SetMaxPacketSize(1000)
	if _, err := f.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
		t.Fatalf("err = %v, want ErrPacketTooLarge", err)
	}
	// Joined chunks over the limit are refused too.
	w := &rw{}
	NewFramer(w).WritePacket(pattern(MaxPayloadLen + 10))
	f = NewFramer(&rw{r: bytes.NewReader(w.w.Bytes())})
	f.SetMaxPacketSize(MaxPayloadLen + 5)
	if _, err := f.ReadPacket(); !errors.Is(err, ErrPacketTooLarge) {
		t.Fatalf("err = %v, want ErrPacketTooLarge", err)
	}
	// Under the default limit, a lying length with a short body costs only
	// what arrived (plus bounded read-ahead), not the announced size.
	f = NewFramer(&rw{r: bytes.NewReader(append([]byte{0xff, 0xff, 0xff, 0}, 1, 2, 3))})
	if _, err := f.ReadPacket(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	if c := cap(f.buf); c > 2*readStep {
		t.Fatalf("buffer grew to %d bytes for a 3-byte body", c)
	}
}

func TestBufferDroppedAfterHugePacket(t *testing.T) {
	w := &rw{}
	wf := NewFramer(w)
	wf.WritePacket(pattern(3 << 20))
	wf.WritePacket([]byte("small"))
	wf.WritePacket([]byte("small2"))
	f := NewFramer(&rw{r: bytes.NewReader(w.w.Bytes())})
	if p, err := f.ReadPacket(); err != nil || len(p) != 3<<20 {
		t.Fatalf("big: %d %v", len(p), err)
	}
	if p, err := f.ReadPacket(); err != nil || string(p) != "small" {
		t.Fatalf("small: %q %v", p, err)
	}
	if c := cap(f.buf); c > keepBufferCap {
		t.Fatalf("buffer of %d bytes kept after a small packet", c)
	}
	if p, err := f.ReadPacket(); err != nil || string(p) != "small2" {
		t.Fatalf("small2: %q %v", p, err)
	}
}

func TestSetTransport(t *testing.T) {
	f := NewFramer(&rw{r: bytes.NewReader([]byte{1, 0, 0, 0, 'a'})})
	f.ReadPacket()
	second := &rw{r: bytes.NewReader([]byte{1, 0, 0, 1, 'b'})}
	f.SetTransport(second)
	if p, err := f.ReadPacket(); err != nil || string(p) != "b" {
		t.Fatalf("%q %v", p, err)
	}
	if err := f.WritePacket([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if got := second.w.Bytes(); !bytes.Equal(got, []byte{1, 0, 0, 2, 'c'}) {
		t.Fatalf("written % x", got)
	}
}

// loopReader replays one wire image forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func BenchmarkReadPacket(b *testing.B) {
	for _, size := range []int{100, 8000, 200000} {
		b.Run(byteSize(size), func(b *testing.B) {
			var wire []byte
			for i := range 256 {
				wire = append(wire, byte(size), byte(size>>8), byte(size>>16), byte(i))
				wire = append(wire, pattern(size)...)
			}
			f := NewFramer(&rw{r: &loopReader{data: wire}})
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.ReadPacket(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func byteSize(n int) string {
	switch {
	case n >= 1000:
		return itoa(n/1000) + "kB"
	default:
		return itoa(n) + "B"
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestReadPacketTo: reading into caller buffers gives the same payloads as
// ReadPacket, reuses a buffer that is large enough, grows one that is not,
// and leaves the Framer's own buffer alone.
func TestReadPacketTo(t *testing.T) {
	sizes := []int{0, 5, 100, 20000, 0xffffff, 0xffffff + 3}
	w := &rw{}
	wf := NewFramer(w)
	for _, n := range sizes {
		wf.ResetSequence()
		if err := wf.WritePacket(pattern(n)); err != nil {
			t.Fatal(err)
		}
	}
	rf := NewFramer(&rw{r: iotest.HalfReader(bytes.NewReader(w.w.Bytes()))})
	own := rf.buf
	dst := make([]byte, 3, 1000)
	for _, n := range sizes {
		rf.ResetSequence()
		got, err := rf.ReadPacketTo(dst)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, pattern(n)) {
			t.Fatalf("%d bytes: payload differs (got %d bytes)", n, len(got))
		}
		if n <= cap(dst) && n > 0 && &got[0] != &dst[:1][0] {
			t.Errorf("%d bytes: a %d-byte buffer was not reused", n, cap(dst))
		}
	}
	if cap(rf.buf) != cap(own) {
		t.Errorf("ReadPacketTo changed the Framer's own buffer")
	}
	if _, err := rf.ReadPacketTo(dst); err != io.EOF {
		t.Fatalf("after the last packet: %v, want io.EOF", err)
	}
}
