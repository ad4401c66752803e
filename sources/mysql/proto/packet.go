package proto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxPayloadLen is the largest payload one physical packet can carry. A
// logical packet of this length or more is split into several physical
// packets; the receiver joins them.
const MaxPayloadLen = 1<<24 - 1

// DefaultMaxPacketSize is the largest joined payload a Framer accepts unless
// SetMaxPacketSize says otherwise: MySQL's and MariaDB's upper bound for
// max_allowed_packet (1 GiB) plus room for a binlog event header.
const DefaultMaxPacketSize = 1<<30 + 64<<10

// keepBufferCap is the largest read buffer a Framer keeps between packets.
// A bigger one (grown for one large event) is dropped at the next read so
// that a single huge row does not pin its memory for the life of the
// connection.
const keepBufferCap = 1 << 20

// initialBufferCap is the size of the read buffer a Framer starts with, and
// returns to after dropping a huge one: most packets are much smaller.
const initialBufferCap = 16 << 10

// readStep bounds how much the read buffer grows ahead of bytes actually
// received, so a peer that announces a large packet and then sends nothing
// cannot make us allocate memory it never fills.
const readStep = 256 << 10

// ErrPacketTooLarge is wrapped by ReadPacket when a packet's announced
// length exceeds the maximum set with SetMaxPacketSize.
var ErrPacketTooLarge = errors.New("packet larger than the maximum packet size")

// SequenceError reports a packet whose sequence id is not the expected one:
// the stream is out of step (a lost or duplicated packet, or a peer that is
// not speaking the protocol).
type SequenceError struct {
	Expected, Got uint8
}

func (e *SequenceError) Error() string {
	return fmt.Sprintf("packet out of order: expected sequence id %d, got %d", e.Expected, e.Got)
}

// readBufferSize is the read buffer of a Framer. A binlog stream is a
// long run of packets of a few KiB each: a large buffer turns them into few
// read system calls, which measurably speeds up streaming; 256 KiB per
// connection is cheap for a replica.
const readBufferSize = 256 << 10

// Framer reads and writes the packets of the MySQL client/server protocol
// over a byte stream. It is not safe for concurrent use; one goroutine reads
// and writes a connection at a time, as the protocol is half duplex.
type Framer struct {
	rw  io.ReadWriter
	br  *bufio.Reader
	seq uint8
	// buf holds the payload returned by the last ReadPacket.
	buf  []byte
	wbuf []byte
	max  int
	hdr  [4]byte
}

// NewFramer returns a Framer over rw with sequence id 0 and the default
// maximum packet size.
func NewFramer(rw io.ReadWriter) *Framer {
	return &Framer{
		rw:  rw,
		br:  bufio.NewReaderSize(rw, readBufferSize),
		buf: make([]byte, 0, initialBufferCap),
		max: DefaultMaxPacketSize,
	}
}

// SetTransport replaces the underlying stream, e.g. with a *tls.Conn after
// the SSLRequest. Bytes buffered from the old stream are discarded: the
// protocol guarantees there are none at that point, since the server waits
// for the TLS ClientHello.
func (f *Framer) SetTransport(rw io.ReadWriter) {
	f.rw = rw
	f.br.Reset(rw)
}

// ResetSequence sets the expected sequence id to 0. Call it before sending
// each command: every command starts a new exchange.
func (f *Framer) ResetSequence() { f.seq = 0 }

// Sequence returns the sequence id the next packet, read or written, must
// carry.
func (f *Framer) Sequence() uint8 { return f.seq }

// SetMaxPacketSize sets the largest joined payload ReadPacket accepts;
// n <= 0 restores the default.
func (f *Framer) SetMaxPacketSize(n int) {
	if n <= 0 {
		n = DefaultMaxPacketSize
	}
	f.max = n
}

// ReadPacket reads one logical packet and returns its payload, joining
// continuation packets. The slice is valid until the next call to
// ReadPacket. A stream that ends cleanly before the first byte of the packet
// returns io.EOF; one that ends inside it returns an error wrapping
// io.ErrUnexpectedEOF that says how many bytes were expected.
func (f *Framer) ReadPacket() ([]byte, error) {
	if cap(f.buf) > keepBufferCap {
		f.buf = make([]byte, 0, initialBufferCap)
	}
	buf, err := f.readPacket(f.buf[:0])
	if err != nil {
		if buf != nil {
			f.buf = buf[:0] // keep what the failed read grew
		}
		return nil, err
	}
	f.buf = buf
	return buf, nil
}

// ReadPacketTo is ReadPacket reading into dst (from its start, growing it
// as needed) instead of the Framer's own buffer, so a caller that keeps
// several packets at once (a read-ahead queue) needs no extra copy. The
// returned slice shares dst's array when it was large enough.
func (f *Framer) ReadPacketTo(dst []byte) ([]byte, error) {
	buf, err := f.readPacket(dst[:0])
	if err != nil {
		return nil, err
	}
	return buf, nil
}

func (f *Framer) readPacket(buf []byte) ([]byte, error) {
	for first := true; ; first = false {
		n, err := io.ReadFull(f.br, f.hdr[:])
		if err != nil {
			if first && n == 0 && errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("read %d of 4 header bytes: %w", n, io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("read packet header: %w", err)
		}
		size := int(uint32(f.hdr[0]) | uint32(f.hdr[1])<<8 | uint32(f.hdr[2])<<16)
		if seq := f.hdr[3]; seq != f.seq {
			return nil, &SequenceError{Expected: f.seq, Got: seq}
		}
		f.seq++
		if len(buf)+size > f.max {
			return nil, fmt.Errorf("packet of at least %d bytes: %w (%d)", len(buf)+size, ErrPacketTooLarge, f.max)
		}
		if buf, err = f.readPayload(buf, size); err != nil {
			return buf[:0], err
		}
		if size < MaxPayloadLen {
			return buf, nil
		}
	}
}

// readPayload appends size bytes from the stream to buf, growing buf at most
// readStep ahead of the bytes received.
func (f *Framer) readPayload(buf []byte, size int) ([]byte, error) {
	got := 0
	for got < size {
		step := size - got
		if free := cap(buf) - len(buf); step > free {
			step = max(free, min(step, readStep))
		}
		if cap(buf)-len(buf) < step {
			grown := make([]byte, len(buf), max(2*cap(buf), len(buf)+step))
			copy(grown, buf)
			buf = grown
		}
		start := len(buf)
		buf = buf[:start+step]
		n, err := io.ReadFull(f.br, buf[start:])
		got += n
		if err != nil {
			buf = buf[:start+n]
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return buf, fmt.Errorf("read %d of %d payload bytes: %w", got, size, io.ErrUnexpectedEOF)
			}
			return buf, fmt.Errorf("read packet payload: %w", err)
		}
	}
	return buf, nil
}

// WritePacket writes payload as one logical packet, splitting it into
// physical packets of MaxPayloadLen bytes. A payload whose length is a
// multiple of MaxPayloadLen (including 0 bytes after a full chunk) ends with
// an empty packet, so the receiver knows it is complete.
func (f *Framer) WritePacket(payload []byte) error {
	for {
		n := min(len(payload), MaxPayloadLen)
		// One Write per physical packet: header and payload copied together
		// so a small command is one system call and one TCP segment.
		need := 4 + n
		if cap(f.wbuf) < need {
			f.wbuf = make([]byte, need)
		}
		w := f.wbuf[:need]
		w[0], w[1], w[2], w[3] = byte(n), byte(n>>8), byte(n>>16), f.seq
		copy(w[4:], payload[:n])
		if _, err := f.rw.Write(w); err != nil {
			return fmt.Errorf("write packet: %w", err)
		}
		f.seq++
		payload = payload[n:]
		if n < MaxPayloadLen {
			// Don't keep a huge write buffer after a big packet.
			if cap(f.wbuf) > keepBufferCap {
				f.wbuf = nil
			}
			return nil
		}
	}
}
