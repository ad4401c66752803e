package binlogfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
)

// Magic is the four bytes every plain binlog and relay-log file starts with.
var magic = [4]byte{0xfe, 'b', 'i', 'n'}

// encryptedMagic starts a MySQL 8.0+ binlog written with
// binlog_encryption=ON: a 512-byte key header follows, then AES-CTR data.
var encryptedMagic = [4]byte{0xfd, 'b', 'i', 'n'}

// MaxEventSize is the largest event_size the reader accepts. Servers cap an
// event at max_allowed_packet, whose largest value is 1 GiB; anything larger
// is a corrupt size field, and trusting it would mean a huge allocation.
const MaxEventSize = 1 << 30

// Errors wrapped by the reader's errors, for errors.Is.
var (
	// ErrNotBinlog: the file does not start with the binlog magic.
	ErrNotBinlog = errors.New("not a binlog file")
	// ErrEncrypted: the file (MySQL binlog_encryption) or the rest of it
	// (MariaDB encrypt_binlog, after START_ENCRYPTION) is encrypted.
	ErrEncrypted = errors.New("binlog is encrypted")
	// ErrNoFormat: the first event is not a FORMAT_DESCRIPTION (or, in
	// binlog versions 1 to 3, START_EVENT_V3), so no later event can be
	// decoded.
	ErrNoFormat = errors.New("no FORMAT_DESCRIPTION event")
)

// Event is one event read from a file.
type Event struct {
	// File is the name of the file the event was read from, as given to
	// Open, OpenFiles or NewReader.
	File string
	// Pos is the offset of the event's first byte in File. For an event
	// that came out of a TRANSACTION_PAYLOAD (InPayload), it is the offset
	// of that payload event: inner events have no position of their own.
	Pos int64
	// InPayload marks an event decoded from inside a TRANSACTION_PAYLOAD
	// (MySQL binlog_transaction_compression). The payload event itself is
	// returned first, then each inner event in order.
	InPayload bool
	*binlog.Event
}

// End returns the offset just past the event (Pos+event_size), which is
// where the next event starts. For inner payload events it is the end of the
// payload event.
func (e *Event) End() int64 { return e.Pos + int64(e.Header.EventSize) }

// Option configures a Reader.
type Option func(*config)

type config struct {
	start   int64 // 0: from the beginning
	stop    int64 // 0: to the end
	decOpts []binlog.DecoderOption
}

// WithStartPosition starts reading at byte offset pos of the first file
// (as mysqlbinlog --start-position). pos must be the start of an event, as
// shown by the Pos of an event or by mysqlbinlog's "# at N". The reader still
// reads the file from offset 4 up to pos, decoding the FORMAT_DESCRIPTION
// events and TABLE_MAP events there and skipping the others, so that events
// after pos are decoded with the right format and rows events right after pos
// find their table map; it returns no event before pos.
func WithStartPosition(pos int64) Option {
	return func(c *config) { c.start = pos }
}

// WithStopPosition stops reading the last file at the first event that
// starts at or after byte offset pos (as mysqlbinlog --stop-position).
func WithStopPosition(pos int64) Option {
	return func(c *config) { c.stop = pos }
}

// WithDecoderOptions passes options to the binlog.Decoder of every file,
// for example binlog.WithoutChecksumVerification().
func WithDecoderOptions(opts ...binlog.DecoderOption) Option {
	return func(c *config) { c.decOpts = append(c.decOpts, opts...) }
}

// source is one file (or stream) to read.
type source struct {
	name string
	// open opens a path; nil for a stream given to NewReader.
	path string
	r    io.Reader
}

// Reader reads events from one or more binlog files in order. A Reader is not
// safe for concurrent use.
type Reader struct {
	cfg     config
	sources []source
	idx     int // index of the current source

	// Current source.
	open   bool
	name   string
	file   *os.File // non-nil when we opened the file (and can seek/stat)
	size   int64    // file size at the last stat; -1 when unknown
	br     *bufio.Reader
	pos    int64 // offset of the next byte to read
	dec    *binlog.Decoder
	first  bool // the next event is the first of the file
	seeked bool // the next event is the first after a start position
	isLast bool

	buf   []byte // reusable event buffer
	hdr   [binlog.HeaderLenV1]byte
	out   Event
	queue []*binlog.Event // inner events of the last payload, not yet returned
	qPos  int64
	qFile string

	// pending is returned by the next call to Next (after an event that
	// ends what the reader can read, such as START_ENCRYPTION).
	pending error
	err     error // sticky: every later call returns it

	bytesRead int64
}

// Open returns a Reader for the binlog or relay-log file at path. The file is
// opened on the first call to Next; errors (missing file, wrong magic) are
// reported there. Call Close when done.
func Open(path string, opts ...Option) *Reader {
	return OpenFiles([]string{path}, opts...)
}

// OpenFiles returns a Reader that reads the files in the order given, as one
// stream of events: each file's events, then the next file's. Files are
// opened one at a time. WithStartPosition applies to the first file and
// WithStopPosition to the last, as with mysqlbinlog.
func OpenFiles(paths []string, opts ...Option) *Reader {
	r := newReader(opts)
	for _, p := range paths {
		r.sources = append(r.sources, source{name: p, path: p})
	}
	return r
}

// NewReader returns a Reader for a binlog read from any io.Reader, for
// example a file already open, a pipe or bytes in memory. name is used in
// events and errors. The stream must start with the binlog magic. Close does
// not close r.
func NewReader(r io.Reader, name string, opts ...Option) *Reader {
	rd := newReader(opts)
	rd.sources = []source{{name: name, r: r}}
	return rd
}

func newReader(opts []Option) *Reader {
	r := &Reader{}
	for _, o := range opts {
		o(&r.cfg)
	}
	return r
}

// Decoder returns the decoder of the current file (nil before the first call
// to Next). Its format and table maps are those in force after the event
// last returned.
func (r *Reader) Decoder() *binlog.Decoder { return r.dec }

// BytesRead returns the number of bytes read from all files so far: magic
// numbers and whole events, not the data skipped to reach a start position.
func (r *Reader) BytesRead() int64 { return r.bytesRead }

// Close closes the file the Reader opened, if any. Streams given to
// NewReader are left open. Next returns io.EOF after Close.
func (r *Reader) Close() error {
	err := r.closeCurrent()
	r.idx = len(r.sources)
	r.queue = nil
	if r.err == nil {
		r.err = io.EOF
	}
	return err
}

func (r *Reader) closeCurrent() error {
	var err error
	if r.file != nil {
		err = r.file.Close()
		r.file = nil
	}
	r.open = false
	r.br = nil
	return err
}

// Next returns the next event, or io.EOF after the last event of the last
// file (or at the stop position).
//
// The returned Event, and everything it references (Raw, slices inside the
// body, the rows of a rows event), is valid only until the next call to Next:
// the reader reuses its buffers. Copy what must outlive that.
//
// Errors name the file, the event's offset and, when known, its type; decode
// errors are *binlog.DecodeError with File and Pos filled in. After an error
// every later call returns the same error.
func (r *Reader) Next() (*Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	if len(r.queue) > 0 {
		ev := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.out = Event{File: r.qFile, Pos: r.qPos, InPayload: true, Event: ev}
		return &r.out, nil
	}
	if r.pending != nil {
		r.err = r.pending
		return nil, r.err
	}
	ev, err := r.next()
	if err != nil {
		r.err = err
		if err != io.EOF {
			// Release the file now: the caller may not Close after an
			// error.
			_ = r.closeCurrent()
		}
		return nil, err
	}
	return ev, nil
}

func (r *Reader) next() (*Event, error) {
	for {
		if !r.open {
			if r.idx >= len(r.sources) {
				return nil, io.EOF
			}
			if err := r.openSource(); err != nil {
				return nil, err
			}
		}
		if r.isLast && r.cfg.stop > 0 && r.pos >= r.cfg.stop {
			return nil, r.endSource()
		}
		ev, err := r.readEvent()
		if err == io.EOF {
			if err := r.endSource(); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.first {
			r.first = false
			if err := r.afterFirst(ev); err != nil {
				return nil, err
			}
			if r.cfg.start > binlogStart && r.idx == 0 {
				continue // the format event is before the start position
			}
		}
		return ev, nil
	}
}

// binlogStart is the offset of the first event, right after the magic.
const binlogStart = 4

// endSource finishes the current source and moves to the next; it returns
// io.EOF after the last one.
func (r *Reader) endSource() error {
	err := r.closeCurrent()
	r.idx++
	if err != nil {
		return fmt.Errorf("binlog %s: close: %w", r.name, err)
	}
	if r.idx >= len(r.sources) {
		return io.EOF
	}
	return nil
}

func (r *Reader) openSource() error {
	s := r.sources[r.idx]
	r.name = s.name
	r.pos = 0
	r.size = -1
	r.first = true
	r.isLast = r.idx == len(r.sources)-1
	r.dec = binlog.NewDecoder(r.cfg.decOpts...)
	var in io.Reader = s.r
	if s.path != "" {
		f, err := os.Open(s.path)
		if err != nil {
			return fmt.Errorf("binlog %s: %w", s.name, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("binlog %s: %w", s.name, err)
		}
		if st.IsDir() {
			f.Close()
			return fmt.Errorf("binlog %s: is a directory, not a binlog file", s.name)
		}
		r.file = f
		r.size = st.Size()
		in = f
	}
	if r.br == nil {
		r.br = bufio.NewReaderSize(in, 64<<10)
	} else {
		r.br.Reset(in)
	}
	r.open = true

	var m [4]byte
	n, err := io.ReadFull(r.br, m[:])
	r.pos = int64(n)
	r.bytesRead += int64(n)
	switch {
	case err == io.EOF:
		return fmt.Errorf("binlog %s:0: %w: the file is empty (a binlog starts with the 4 bytes fe 62 69 6e)", r.name, ErrNotBinlog)
	case err == io.ErrUnexpectedEOF:
		return fmt.Errorf("binlog %s:0: %w: the file has only %d bytes, fewer than the 4-byte binlog magic", r.name, ErrNotBinlog, n)
	case err != nil:
		return fmt.Errorf("binlog %s:0: read: %w", r.name, err)
	case m == encryptedMagic:
		return fmt.Errorf("binlog %s:0: %w (magic fd 62 69 6e, MySQL binlog_encryption=ON): decrypt it first, for example by reading it through the server that wrote it with mysqlbinlog --read-from-remote-server", r.name, ErrEncrypted)
	case m != magic:
		return fmt.Errorf("binlog %s:0: %w (magic % x, want fe 62 69 6e)", r.name, ErrNotBinlog, m[:])
	}
	return nil
}

// afterFirst checks the first event of a file and applies the start
// position.
func (r *Reader) afterFirst(ev *Event) error {
	t := ev.Header.Type
	if t != binlog.FormatDescriptionEventType && t != binlog.StartEventV3Type && !r.dec.FormatSeen() {
		return &binlog.DecodeError{File: r.name, Pos: ev.Pos, Type: t,
			Err: fmt.Errorf("%w: the first event of a binlog must be FORMAT_DESCRIPTION (or START_EVENT_V3 in MySQL < 5.0), found %s; the file is corrupt or not a binlog", ErrNoFormat, t)}
	}
	if r.idx != 0 || r.cfg.start <= binlogStart {
		return nil
	}
	start := r.cfg.start
	if start < r.pos {
		return fmt.Errorf("binlog %s: start position %d is inside the %s event at %d..%d; use a position where an event starts", r.name, start, t, ev.Pos, r.pos)
	}
	if r.size >= 0 && start > r.size {
		return fmt.Errorf("binlog %s: start position %d is past the end of the file (%d bytes)", r.name, start, r.size)
	}
	// Read up to the start position instead of seeking there: the
	// TABLE_MAP events before it (and any later FORMAT_DESCRIPTION) are
	// decoded so that rows events after it can be decoded too. Other
	// events are skipped unread.
	read := r.bytesRead
	for r.pos < start {
		if _, err := r.readEventMode(start); err != nil {
			if err == io.EOF {
				return fmt.Errorf("binlog %s: start position %d is past the end of the stream (%d bytes)", r.name, start, r.pos)
			}
			return err
		}
		if r.pending != nil {
			return r.pending
		}
	}
	r.bytesRead = read
	r.seeked = true
	return nil
}

// readEvent reads and decodes the event at r.pos. It returns io.EOF when the
// file ends exactly at an event boundary.
func (r *Reader) readEvent() (*Event, error) { return r.readEventMode(0) }

// readEventMode reads the event at r.pos. With skipTo > 0 it is reaching a
// start position: it decodes only the events whose state later events need
// (formats, table maps, START_ENCRYPTION), skips the others and returns a
// nil event.
func (r *Reader) readEventMode(skipTo int64) (*Event, error) {
	pos := r.pos
	n, err := io.ReadFull(r.br, r.hdr[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, r.incomplete(pos, binlog.EventType(r.hdr[4]), n >= 5, fmt.Sprintf("only %d of the %d header bytes are present", n, binlog.HeaderLenV1))
	case err != nil:
		return nil, fmt.Errorf("binlog %s:%d: read: %w", r.name, pos, err)
	}
	t := binlog.EventType(r.hdr[4])
	size := int64(r.hdr[9]) | int64(r.hdr[10])<<8 | int64(r.hdr[11])<<16 | int64(r.hdr[12])<<24

	minSize := int64(r.dec.HeaderLength())
	if t == binlog.FormatDescriptionEventType || t == binlog.StartEventV3Type || minSize < binlog.HeaderLenV1 {
		// Format events are read with their own header length.
		minSize = binlog.HeaderLenV1
	}
	if size < minSize {
		return nil, r.bad(pos, t, fmt.Errorf("event_size %d is smaller than the %d-byte event header: corrupt event, or a start position that is not the start of an event", size, minSize))
	}
	if size > MaxEventSize {
		return nil, r.bad(pos, t, fmt.Errorf("event_size %d is larger than 1 GiB, the largest event a server writes: corrupt event, or a start position that is not the start of an event", size))
	}
	if r.size >= 0 && pos+size > r.size {
		r.restat()
		if pos+size > r.size {
			return nil, r.incomplete(pos, t, true, fmt.Sprintf("event_size is %d but only %d bytes are left", size, r.size-pos))
		}
	}

	if skipTo > 0 {
		if pos+size > skipTo {
			return nil, fmt.Errorf("binlog %s: start position %d is inside the %s event at %d..%d; use a position where an event starts (an event's pos, or mysqlbinlog's \"# at N\")", r.name, skipTo, t, pos, pos+size)
		}
		switch t {
		case binlog.FormatDescriptionEventType, binlog.StartEventV3Type, binlog.TableMapEventType, binlog.MariaStartEncryptionEventType:
		default:
			if _, err := r.br.Discard(int(size) - len(r.hdr)); err != nil {
				return nil, r.readErr(pos, t, size, err)
			}
			r.pos = pos + size
			return nil, nil
		}
	}

	// The decoder copies what it keeps (formats, table maps), so every
	// event reuses one buffer.
	buf, err := r.readInto(r.buf, pos, t, size)
	if err != nil {
		return nil, err
	}
	r.buf = buf
	r.pos = pos + size
	r.bytesRead += size

	dev, err := r.dec.Decode(buf)
	if err != nil {
		var de *binlog.DecodeError
		if errors.As(err, &de) {
			de.File, de.Pos = r.name, pos
			de.Err = r.hint(de.Err, pos)
			return nil, err
		}
		return nil, r.bad(pos, t, err)
	}
	r.seeked = false
	r.out = Event{File: r.name, Pos: pos, Event: dev}
	if inner := payloadEvents(dev); len(inner) > 0 {
		r.queue = append(r.queue[:0], inner...)
		r.qPos, r.qFile = pos, r.name
	}
	if t == binlog.MariaStartEncryptionEventType {
		r.pending = &binlog.DecodeError{File: r.name, Pos: r.pos, Type: t,
			Err: fmt.Errorf("%w: the events after the START_ENCRYPTION event at %d are encrypted (MariaDB encrypt_binlog=ON); read them decrypted through the server, for example mariadb-binlog --read-from-remote-server, which needs the server's key management plugin", ErrEncrypted, pos)}
	}
	return &r.out, nil
}

// readInto reads the event at pos (header prefix already in r.hdr) into buf,
// growing it as needed, and returns the event's bytes. When the file size is
// unknown, the buffer grows as data actually arrives, so a corrupt size field
// cannot force a large allocation.
func (r *Reader) readInto(buf []byte, pos int64, t binlog.EventType, size int64) ([]byte, error) {
	n := int(size)
	if r.size >= 0 || n <= cap(buf) {
		if n > cap(buf) {
			buf = make([]byte, n, n+n/4)
		}
		buf = buf[:n]
		copy(buf, r.hdr[:])
		if _, err := io.ReadFull(r.br, buf[len(r.hdr):]); err != nil {
			return nil, r.readErr(pos, t, size, err)
		}
		return buf, nil
	}
	const chunk = 1 << 20
	buf = append(buf[:0], r.hdr[:]...)
	for len(buf) < n {
		want := n - len(buf)
		if want > chunk {
			want = chunk
		}
		buf = append(buf, make([]byte, want)...)
		if _, err := io.ReadFull(r.br, buf[len(buf)-want:]); err != nil {
			return nil, r.readErr(pos, t, size, err)
		}
	}
	return buf, nil
}

func (r *Reader) readErr(pos int64, t binlog.EventType, size int64, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.incomplete(pos, t, true, fmt.Sprintf("event_size is %d but the data ends before that", size))
	}
	return r.bad(pos, t, fmt.Errorf("read: %w", err))
}

// restat refreshes the file size: a file still being written may have grown
// since it was opened.
func (r *Reader) restat() {
	if r.file == nil {
		return
	}
	if st, err := r.file.Stat(); err == nil {
		r.size = st.Size()
	}
}

// incomplete reports a partial final event.
func (r *Reader) incomplete(pos int64, t binlog.EventType, typeKnown bool, detail string) error {
	err := fmt.Errorf("event at offset %d is incomplete (%s): file truncated or still being written: %w", pos, detail, io.ErrUnexpectedEOF)
	if !typeKnown {
		err = r.hint(err, pos)
		return fmt.Errorf("binlog %s:%d: %w", r.name, pos, err)
	}
	return r.bad(pos, t, err)
}

func (r *Reader) bad(pos int64, t binlog.EventType, err error) error {
	return &binlog.DecodeError{File: r.name, Pos: pos, Type: t, Err: r.hint(err, pos)}
}

// hint adds the likely cause to an error in the first event after a start
// position: a position that is not the start of an event.
func (r *Reader) hint(err error, pos int64) error {
	if r.seeked && pos == r.cfg.start {
		return fmt.Errorf("%w (is start position %d the start of an event?)", err, pos)
	}
	return err
}
