package binlogdump

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/seed5aa6e046/syncer/internal/jsontext"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// envelopeKeys are the members the dump writes itself; a body member with
// one of these names is written as "body_<name>".
var envelopeKeys = [...]string{"file", "pos", "in_payload", "type", "header"}

func isEnvelopeKey(k string) bool {
	for _, e := range envelopeKeys {
		if k == e {
			return true
		}
	}
	return false
}

// appendEnvelope appends the opening of an event's line: file, pos,
// in_payload, type and header. The caller appends more members and the
// closing brace.
func appendEnvelope(dst []byte, ev *binlogfile.Event) []byte {
	dst = append(dst, `{"file":`...)
	dst = jsontext.AppendString(dst, ev.File)
	dst = append(dst, `,"pos":`...)
	dst = strconv.AppendInt(dst, ev.Pos, 10)
	if ev.InPayload {
		dst = append(dst, `,"in_payload":true`...)
	}
	dst = append(dst, `,"type":`...)
	dst = jsontext.AppendString(dst, ev.Header.Type.String())
	h := &ev.Header
	dst = append(dst, `,"header":{"timestamp":`...)
	dst = strconv.AppendUint(dst, uint64(h.Timestamp), 10)
	dst = append(dst, `,"server_id":`...)
	dst = strconv.AppendUint(dst, uint64(h.ServerID), 10)
	dst = append(dst, `,"log_pos":`...)
	dst = strconv.AppendUint(dst, uint64(h.LogPos), 10)
	dst = append(dst, `,"flags":`...)
	dst = strconv.AppendUint(dst, uint64(h.Flags), 10)
	if len(h.Extra) > 0 {
		dst = append(dst, `,"extra":"`...)
		dst = hex.AppendEncode(dst, h.Extra)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendFormat writes the members of a FORMAT_DESCRIPTION or
// START_EVENT_V3 body.
func appendFormat(dst []byte, f *binlog.Format) []byte {
	dst = append(dst, `,"binlog_version":`...)
	dst = strconv.AppendUint(dst, uint64(f.BinlogVersion), 10)
	dst = append(dst, `,"server_version":`...)
	dst = jsontext.AppendString(dst, f.ServerVersion)
	dst = append(dst, `,"flavor":`...)
	dst = jsontext.AppendString(dst, f.Flavor.String())
	dst = append(dst, `,"create_timestamp":`...)
	dst = strconv.AppendUint(dst, uint64(f.CreateTimestamp), 10)
	dst = append(dst, `,"header_length":`...)
	dst = strconv.AppendInt(dst, int64(f.HeaderLength), 10)
	dst = append(dst, `,"post_header_lengths":[`...)
	for i, n := range f.PostHeaderLengths {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, uint64(n), 10)
	}
	dst = append(dst, `],"checksum":`...)
	return jsontext.AppendString(dst, f.Checksum.String())
}

// appendRaw writes the members of an event the decoder does not know.
func appendRaw(dst []byte, t binlog.EventType, data []byte) []byte {
	dst = append(dst, `,"type_code":`...)
	dst = strconv.AppendUint(dst, uint64(t), 10)
	dst = append(dst, `,"data":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, data)
	return append(dst, '"')
}

// bodyEncoder marshals event bodies with encoding/json, without the HTML
// escaping of <, > and & that would make SQL text hard to read.
type bodyEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

func newBodyEncoder() *bodyEncoder {
	e := &bodyEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

// appendBody marshals a body with encoding/json and splices its members
// into the line (after a comma). A body that is not a JSON object is written
// as "body". Members named like an envelope key are renamed "body_<name>".
func (e *bodyEncoder) appendBody(dst []byte, body any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(body); err != nil {
		return dst, fmt.Errorf("encode %T as JSON: %w", body, err)
	}
	b := bytes.TrimRight(e.buf.Bytes(), "\n")
	if len(b) == 0 || b[0] != '{' {
		dst = append(dst, `,"body":`...)
		return append(dst, b...), nil
	}
	return spliceMembers(dst, b)
}

// spliceMembers appends the members of the compact JSON object obj (as
// encoding/json writes it), each after a comma, renaming envelope keys. It
// scans the bytes instead of decoding them: this runs once per event.
func spliceMembers(dst, obj []byte) ([]byte, error) {
	bad := func(at int) error {
		return fmt.Errorf("malformed JSON object from the event body near byte %d: %.40q", at, obj)
	}
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return dst, bad(0)
	}
	i := 1
	if obj[i] == '}' {
		return dst, nil
	}
	for {
		// Key.
		if obj[i] != '"' {
			return dst, bad(i)
		}
		kEnd := skipString(obj, i)
		if kEnd < 0 || kEnd >= len(obj) || obj[kEnd] != ':' {
			return dst, bad(i)
		}
		key := obj[i+1 : kEnd-1]
		// Value: up to the comma or brace that ends it at depth 0.
		v := kEnd + 1
		j := v
		depth := 0
	value:
		for j < len(obj) {
			switch obj[j] {
			case '"':
				j = skipString(obj, j)
				if j < 0 {
					return dst, bad(v)
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth == 0 {
					break value
				}
				depth--
			case ',':
				if depth == 0 {
					break value
				}
			}
			j++
		}
		if j >= len(obj) || j == v {
			return dst, bad(v)
		}
		dst = append(dst, ',')
		if isEnvelopeKey(string(key)) {
			dst = append(dst, `"body_`...)
			dst = append(dst, key...)
			dst = append(dst, '"')
		} else {
			dst = append(dst, obj[i:kEnd]...)
		}
		dst = append(dst, ':')
		dst = append(dst, obj[v:j]...)
		if obj[j] == '}' {
			if j != len(obj)-1 {
				return dst, bad(j)
			}
			return dst, nil
		}
		i = j + 1
		if i >= len(obj) {
			return dst, bad(j)
		}
	}
}

// skipString returns the index just past the JSON string starting at
// b[i] == '"', or -1 when it is not terminated.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}
