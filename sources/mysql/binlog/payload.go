package binlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// PayloadCompression is the compression of a TRANSACTION_PAYLOAD
// (mysql::binlog::event::compression::type).
type PayloadCompression uint8

const (
	PayloadZstd PayloadCompression = 0
	PayloadNone PayloadCompression = 255
)

func (p PayloadCompression) String() string {
	switch p {
	case PayloadZstd:
		return "ZSTD"
	case PayloadNone:
		return "NONE"
	}
	return "COMPRESSION_" + strconv.Itoa(int(p))
}

// MarshalText renders the compression's name.
func (p PayloadCompression) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// maxPayloadUncompressed bounds the uncompressed size of one
// TRANSACTION_PAYLOAD. The server caps a compressed transaction by
// binlog_transaction_compression limits well under this; a larger value
// is corruption.
const maxPayloadUncompressed = 1 << 30

// TransactionPayloadEvent is TRANSACTION_PAYLOAD (type 40, MySQL 8.0.20+):
// a whole transaction's events, compressed (binlog_transaction_compression).
//
// The body starts with fields, each a packed integer type, a packed
// integer length and the value (a packed integer), ended by type 0
// (codecs/binary.cpp, Transaction_payload::decode):
//
//	type field
//	1    payload size (bytes after the end mark)
//	2    compression type (0 zstd, 255 none)
//	3    uncompressed size (absent when not compressed)
//	0    end of fields
//
// then the payload: complete events (common header, no checksum), one
// after another, zstd-compressed unless the type is none. Unknown field
// types are skipped by their length.
//
// The inner events are decoded in order by the same Decoder, so they use
// and update its table maps like any other event.
type TransactionPayloadEvent struct {
	PayloadSize      uint64             `json:"payload_size"`
	Compression      PayloadCompression `json:"compression_type"`
	UncompressedSize uint64             `json:"uncompressed_size"`
	// Events are the decoded inner events, in order. Their Raw bytes live
	// in the decompressed payload, not in the outer event.
	Events []*Event `json:"-"`
}

func (e *TransactionPayloadEvent) decode(d *Decoder, h *Header, data []byte) error {
	if d.inPayload {
		return errors.New("TRANSACTION_PAYLOAD nested inside another TRANSACTION_PAYLOAD")
	}
	// The fields start right after the common header: the server ignores
	// the post-header length the FORMAT_DESCRIPTION lists for this type
	// (MySQL 8.0 lists 40, the maximum size of the fields).
	c := newCursor(data)
	haveSize, haveCompression, haveUncompressed := false, false, false
	for {
		fieldPos := c.pos
		typ, _ := c.lenenc("field type")
		if c.err != nil {
			return fmt.Errorf("payload header (no end mark before the end of the event): %w", c.err)
		}
		if typ == payloadEndMark {
			break
		}
		length, _ := c.lenenc("field length")
		if c.err != nil {
			return c.err
		}
		if length > uint64(c.remaining()) {
			return fmt.Errorf("field type %d at offset %d: length %d exceeds the %d bytes left: %w", typ, fieldPos, length, c.remaining(), errShort)
		}
		field := c.bytes(int(length), "field value")
		if typ != payloadSize && typ != payloadCompress && typ != payloadUncomp {
			continue // a field of a newer server: skip it, as the server does
		}
		fc := newCursor(field)
		v, _ := fc.lenenc("field value")
		if fc.err != nil {
			return fmt.Errorf("field type %d at offset %d: %w", typ, fieldPos, fc.err)
		}
		switch typ {
		case payloadSize:
			e.PayloadSize, haveSize = v, true
		case payloadCompress:
			if v != uint64(PayloadZstd) && v != uint64(PayloadNone) {
				return fmt.Errorf("compression type %d at offset %d: only 0 (zstd) and 255 (none) exist", v, fieldPos)
			}
			e.Compression, haveCompression = PayloadCompression(v), true
		case payloadUncomp:
			e.UncompressedSize, haveUncompressed = v, true
		}
	}
	if !haveSize || !haveCompression {
		return fmt.Errorf("payload header lacks the payload size or the compression type")
	}
	if e.PayloadSize > uint64(c.remaining()) {
		return fmt.Errorf("payload size %d exceeds the %d bytes after the header at offset %d: %w", e.PayloadSize, c.remaining(), c.pos, errShort)
	}
	payloadPos := c.pos
	payload := c.bytes(int(e.PayloadSize), "payload")
	if c.err != nil {
		return c.err
	}
	plain := payload
	if e.Compression == PayloadZstd {
		if !haveUncompressed {
			return fmt.Errorf("zstd payload without an uncompressed size")
		}
		var err error
		if plain, err = inflateZstd(payload, e.UncompressedSize); err != nil {
			return fmt.Errorf("payload at offset %d: %w", payloadPos, err)
		}
	} else if !haveUncompressed {
		e.UncompressedSize = uint64(len(payload))
	}
	events, err := d.decodePayloadEvents(plain)
	e.Events = events
	return err
}

// decodePayloadEvents decodes the events of an uncompressed payload in
// order. Each is a complete event with the format's header length and no
// checksum.
func (d *Decoder) decodePayloadEvents(plain []byte) ([]*Event, error) {
	hl := d.format.HeaderLength
	var events []*Event
	saved := d.inPayload
	d.inPayload = true
	defer func() { d.inPayload = saved }()
	for pos := 0; pos < len(plain); {
		rest := plain[pos:]
		if len(rest) < hl || len(rest) < HeaderLen {
			return events, fmt.Errorf("inner event %d at offset %d of the uncompressed payload: %d bytes left, less than an event header: %w", len(events), pos, len(rest), errShort)
		}
		size := uint64(le32(rest[9:13]))
		if size < uint64(hl) || size > uint64(len(rest)) {
			return events, fmt.Errorf("inner event %d at offset %d of the uncompressed payload: event_size %d, but %d bytes left and the header takes %d", len(events), pos, size, len(rest), hl)
		}
		if t := EventType(rest[4]); t == TransactionPayloadEventType {
			return events, fmt.Errorf("inner event %d at offset %d of the uncompressed payload: TRANSACTION_PAYLOAD nested inside TRANSACTION_PAYLOAD", len(events), pos)
		}
		ev, err := d.decode(rest[:size:size])
		if err != nil {
			return events, fmt.Errorf("inner event %d at offset %d of the uncompressed payload: %w", len(events), pos, err)
		}
		events = append(events, ev)
		pos += int(size)
	}
	return events, nil
}

// zstdDecoders reuses zstd decoders, which are costly to create. The pool
// holds no semantic state: every use starts with Reset.
var zstdDecoders = sync.Pool{
	New: func() any {
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPayloadUncompressed))
		if err != nil {
			return err
		}
		return dec
	},
}

// inflateZstd decompresses a zstd payload that must inflate to exactly
// declared bytes. It never buffers more than the declared size (read one
// byte past it to detect a longer stream) and refuses absurd declarations
// before allocating anything.
func inflateZstd(src []byte, declared uint64) ([]byte, error) {
	if declared > maxPayloadUncompressed {
		return nil, fmt.Errorf("declared uncompressed size %d exceeds the %d-byte limit", declared, maxPayloadUncompressed)
	}
	got := zstdDecoders.Get()
	dec, ok := got.(*zstd.Decoder)
	if !ok {
		return nil, fmt.Errorf("creating a zstd decoder: %v", got)
	}
	defer func() {
		_ = dec.Reset(nil)
		zstdDecoders.Put(dec)
	}()
	if err := dec.Reset(bytes.NewReader(src)); err != nil {
		return nil, fmt.Errorf("zstd stream of %d bytes: %w", len(src), err)
	}
	// A zstd block expands at most ~128 KiB per 3 bytes; start from what
	// the input can plausibly yield and grow up to the declared size.
	out := make([]byte, 0, min(declared, uint64(len(src))*64+4096))
	for {
		if len(out) == cap(out) {
			if uint64(len(out)) == declared {
				break
			}
			grown := make([]byte, len(out), min(declared, uint64(cap(out))*2+4096))
			copy(grown, out)
			out = grown
		}
		n, err := dec.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("zstd stream of %d bytes (declared %d bytes uncompressed, got %d): %w", len(src), declared, len(out), err)
		}
	}
	if uint64(len(out)) != declared {
		return nil, fmt.Errorf("zstd stream inflates to %d bytes, header declares %d", len(out), declared)
	}
	var probe [1]byte
	for {
		n, err := dec.Read(probe[:])
		if n > 0 {
			return nil, fmt.Errorf("zstd stream inflates to more than the declared %d bytes", declared)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("end of zstd stream after %d bytes: %w", declared, err)
		}
	}
	return out, nil
}
