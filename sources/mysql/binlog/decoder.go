package binlog

import (
	"errors"
	"fmt"
	"hash/crc32"
)

// EventBody is the typed body of one event: *QueryEvent, *RowsEvent,
// *TableMapEvent, ... or *RawEvent for a type this package does not know.
// Switch on the concrete type. The interface is sealed: only this package
// defines bodies.
type EventBody interface {
	// decode parses the body (the bytes after the common header, without the
	// trailing checksum). It may keep sub-slices of data.
	decode(d *Decoder, h *Header, data []byte) error
}

// Event is one decoded event.
type Event struct {
	Header Header
	Body   EventBody
	// Raw is the whole event as passed to Decode: header, body and checksum.
	Raw []byte
	// Checksum is the trailing CRC32 when the format has one.
	Checksum    uint32
	HasChecksum bool
}

// RawEvent is the body of an event type this package does not decode (an
// unknown code, or a type that never carries data a reader can use). Data is
// the body without header and checksum.
type RawEvent struct {
	Data []byte
}

func (e *RawEvent) decode(_ *Decoder, _ *Header, data []byte) error {
	e.Data = data
	return nil
}

// Decoder turns raw events into typed events. It remembers the active
// format and the table maps that row events refer to. A Decoder is not safe
// for concurrent use.
type Decoder struct {
	format *Format
	// formatSeen is false until a FORMAT_DESCRIPTION or START_EVENT_V3
	// has been decoded.
	formatSeen bool
	tables     map[uint64]*TableMapEvent
	// skipChecksum disables CRC32 verification (the checksum is still
	// stripped from the body).
	skipChecksum bool
	// inPayload is set while decoding the events inside a
	// TRANSACTION_PAYLOAD, which carry no checksum.
	inPayload bool
}

// DecoderOption configures a Decoder.
type DecoderOption func(*Decoder)

// WithoutChecksumVerification makes the decoder strip CRC32 checksums
// without checking them. By default every checksum is verified.
func WithoutChecksumVerification() DecoderOption {
	return func(d *Decoder) { d.skipChecksum = true }
}

// WithFormat starts the decoder with a known format, for streams that do not
// begin with a FORMAT_DESCRIPTION (for example a file read from an offset
// whose format was saved earlier).
func WithFormat(f *Format) DecoderOption {
	return func(d *Decoder) {
		cp := *f
		d.format = &cp
		d.formatSeen = true
	}
}

// NewDecoder returns a decoder that expects a FORMAT_DESCRIPTION event (or
// START_EVENT_V3) before any other event.
func NewDecoder(opts ...DecoderOption) *Decoder {
	d := &Decoder{format: DefaultFormat(), tables: make(map[uint64]*TableMapEvent)}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Format returns the active format. The caller must not modify it.
func (d *Decoder) Format() *Format { return d.format }

// FormatSeen reports whether a format event has been decoded (or given with
// WithFormat).
func (d *Decoder) FormatSeen() bool { return d.formatSeen }

// Table returns the table map in force for a table id, or nil.
func (d *Decoder) Table(id uint64) *TableMapEvent { return d.tables[id] }

// HeaderLength returns the header length of the next event to decode, which
// readers need to find an event's size before calling Decode.
func (d *Decoder) HeaderLength() int { return d.format.HeaderLength }

// Decode decodes one complete event: common header, body and, when the
// format has one, the trailing checksum. The event may keep sub-slices of raw.
func (d *Decoder) Decode(raw []byte) (*Event, error) {
	ev, err := d.decode(raw)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return nil, err
		}
		t := UnknownEvent
		if len(raw) > 4 {
			t = EventType(raw[4])
		}
		return nil, decodeErr(t, err)
	}
	return ev, nil
}

func (d *Decoder) decode(raw []byte) (*Event, error) {
	if len(raw) < 5 {
		return nil, fmt.Errorf("event of %d bytes is shorter than a header: %w", len(raw), errShort)
	}
	t := EventType(raw[4])
	hl := d.format.HeaderLength
	if t == StartEventV3Type && !d.formatSeen {
		hl = guessV3HeaderLen(raw)
	}
	if t == FormatDescriptionEventType && hl != HeaderLen && len(raw) >= HeaderLen && !d.inPayload {
		// The FDE itself is always written with a 19-byte header prefix
		// readable by anyone; its own header_length applies to later events.
		hl = HeaderLen
	}
	h, err := ParseHeader(raw, hl)
	if err != nil {
		return nil, decodeErr(t, err)
	}
	if int64(h.EventSize) != int64(len(raw)) {
		return nil, decodeErr(t, fmt.Errorf("header says event_size %d, have %d bytes", h.EventSize, len(raw)))
	}
	ev := &Event{Header: h, Raw: raw}
	body := raw[hl:]

	if t == FormatDescriptionEventType && !d.inPayload {
		fde := &FormatDescriptionEvent{}
		if err := fde.decode(d, &h, body); err != nil {
			return nil, decodeErr(t, err)
		}
		if fde.Checksum != ChecksumUndefined {
			if !d.skipChecksum {
				if err := verifyFDEChecksum(raw, fde.Checksum); err != nil {
					return nil, decodeErr(t, err)
				}
			}
			ev.Checksum, ev.HasChecksum = le32(raw[len(raw)-4:]), true
		}
		ev.Body = fde
		f := fde.Format
		d.format = &f
		d.formatSeen = true
		// A new format starts a new binlog (or a server restart): table ids
		// from before it mean nothing now.
		clear(d.tables)
		return ev, nil
	}

	if d.format.Checksum == ChecksumCRC32 && !d.inPayload {
		if len(body) < 4 {
			return nil, decodeErr(t, fmt.Errorf("no room for the CRC32 checksum: %w", errShort))
		}
		ev.Checksum, ev.HasChecksum = le32(raw[len(raw)-4:]), true
		if !d.skipChecksum {
			if got := crc32.ChecksumIEEE(raw[:len(raw)-4]); got != ev.Checksum {
				return nil, decodeErr(t, fmt.Errorf("CRC32 is 0x%08x, event says 0x%08x (corrupt event, or the file was read with the wrong format): %w", got, ev.Checksum, ErrChecksum))
			}
		}
		body = body[:len(body)-4]
	}

	b := d.newBody(t)
	if err := b.decode(d, &ev.Header, body); err != nil {
		return nil, decodeErr(t, err)
	}
	ev.Body = b
	if sv, ok := b.(*StartEventV3); ok {
		f := sv.Format
		d.format = &f
		d.formatSeen = true
		clear(d.tables)
	}
	return ev, nil
}

// guessV3HeaderLen tells a binlog v1 START event (13-byte header, version 1
// right after it) from a v3 one (19-byte header).
func guessV3HeaderLen(raw []byte) int {
	if len(raw) >= HeaderLen+2 {
		if v := uint16(raw[HeaderLen]) | uint16(raw[HeaderLen+1])<<8; v == 3 || v == 2 || v == 4 {
			return HeaderLen
		}
	}
	if len(raw) >= HeaderLenV1+2 && raw[HeaderLenV1] == 1 && raw[HeaderLenV1+1] == 0 {
		return HeaderLenV1
	}
	return HeaderLen
}

// newBody returns an empty body for event type t.
func (d *Decoder) newBody(t EventType) EventBody {
	switch t {
	case FormatDescriptionEventType:
		return &FormatDescriptionEvent{}
	case StartEventV3Type:
		return &StartEventV3{}
	}
	if b := newRowsFamilyBody(t); b != nil {
		return b
	}
	if b := newStatementFamilyBody(t); b != nil {
		return b
	}
	return &RawEvent{}
}
