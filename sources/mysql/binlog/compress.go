package binlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
)

// maxMariaDBUncompressedLen bounds the uncompressed size a MariaDB
// compressed event may declare. The server never writes events larger than
// max_allowed_packet (at most 1 GiB), so a larger value can only be corruption.
const maxMariaDBUncompressedLen = 1 << 30

// decompressMariaDB inflates the compressed part of a MariaDB
// QUERY_COMPRESSED event (the query text) or of a compressed rows event (the
// row images), as written with log_bin_compress=ON.
//
// Layout (MariaDB sql/log_event.cc, binlog_buf_compress and
// binlog_get_uncompress_len):
//
//	offset size field
//	0      1    header: bit 7 always 1 (compressed); bits 4-6 algorithm
//	            (only 0 = zlib exists); bits 0-2 width N of the length (1-4)
//	1      N    uncompressed length, big-endian (unlike the rest of the
//	            binlog, which is little-endian)
//	1+N    ...  zlib stream
//
// The server rejects a declared length of 0 (binlog_get_uncompress_len
// returns 0 for "error"), and so do we. The result never grows beyond the
// declared length, and a stream that inflates to a different size is an
// error: the declared size is what the server trusts when it rebuilds the
// event.
func decompressMariaDB(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("compressed data: missing header byte: %w", errShort)
	}
	hdr := data[0]
	// The server checks (hdr & 0xe0) == 0x80: the compressed bit set and
	// the two high algorithm bits clear.
	if hdr&0x80 == 0 {
		return nil, fmt.Errorf("compressed data: header byte 0x%02x lacks the compressed bit 0x80", hdr)
	}
	if alg := (hdr >> 4) & 0x07; alg != 0 {
		return nil, fmt.Errorf("compressed data: header byte 0x%02x names compression algorithm %d, only 0 (zlib) exists", hdr, alg)
	}
	lenBytes := int(hdr & 0x07)
	if lenBytes < 1 || lenBytes > 4 {
		return nil, fmt.Errorf("compressed data: header byte 0x%02x gives a %d-byte length, want 1 to 4", hdr, lenBytes)
	}
	if len(data) < 1+lenBytes {
		return nil, fmt.Errorf("compressed data: %d-byte uncompressed length: need %d bytes, have %d: %w", lenBytes, 1+lenBytes, len(data), errShort)
	}
	var declared uint64
	for _, b := range data[1 : 1+lenBytes] {
		declared = declared<<8 | uint64(b)
	}
	if declared == 0 {
		return nil, errors.New("compressed data: declared uncompressed length is 0")
	}
	if declared > maxMariaDBUncompressedLen {
		return nil, fmt.Errorf("compressed data: declared uncompressed length %d exceeds the %d-byte limit", declared, maxMariaDBUncompressedLen)
	}
	stream := data[1+lenBytes:]
	zr, err := zlib.NewReader(bytes.NewReader(stream))
	if err != nil {
		return nil, fmt.Errorf("compressed data: zlib header of %d-byte stream: %w", len(stream), err)
	}
	defer zr.Close()
	// Allocate by what the stream can plausibly yield rather than by the
	// declared size alone: deflate expands at most ~1032:1, so a tiny stream
	// claiming a huge length cannot make us reserve a gigabyte up front. The
	// buffer grows, never past the declared size, if the guess was short.
	out := make([]byte, 0, min(declared, uint64(len(stream))*1032+64))
	for {
		if len(out) == cap(out) {
			if uint64(len(out)) == declared {
				break
			}
			grown := make([]byte, len(out), min(declared, uint64(cap(out))*2+512))
			copy(grown, out)
			out = grown
		}
		n, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("compressed data: inflating %d-byte zlib stream (declared %d bytes uncompressed, got %d): %w", len(stream), declared, len(out), err)
		}
	}
	if uint64(len(out)) != declared {
		return nil, fmt.Errorf("compressed data: zlib stream inflates to %d bytes, header declares %d", len(out), declared)
	}
	// The stream must end here; one more byte means it is longer than
	// declared.
	var probe [1]byte
	for {
		n, err := zr.Read(probe[:])
		if n > 0 {
			return nil, fmt.Errorf("compressed data: zlib stream inflates to more than the declared %d bytes", declared)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("compressed data: end of %d-byte zlib stream after %d bytes: %w", len(stream), declared, err)
		}
	}
	return out, nil
}
