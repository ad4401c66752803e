package binlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/flate"
)

// MariaDB column compression (VARCHAR/VARBINARY/TEXT/BLOB ... COMPRESSED,
// MariaDB 10.3+). The row image holds the value as the storage engine has
// it: a length prefix (1|2 bytes for VARCHAR_COMPRESSED, per the column's
// max length in the TABLE_MAP metadata; 1..4 bytes for BLOB_COMPRESSED, the
// metadata byte), then the stored bytes, which are:
//
//	stored bytes        meaning
//	(none)              the empty string (Field_longstr::uncompress: from_length 0)
//	0x00 data...        stored uncompressed: data is the value itself. Written for
//	                    values shorter than column_compression_threshold (default
//	                    100), for "" (a lone 0x00), and whenever deflate does not
//	                    make the value smaller. The server reads any byte whose
//	                    high nibble is 0 this way; it writes only 0x00.
//	H L... Z...         compressed:
//	  H (1 byte)        bits 4-7: method, 8 = zlib (the only one: compression_methods[8]
//	                    in sql/field_comp.cc); bit 3: 1 = raw deflate, 0 = zlib
//	                    wrapper (2-byte header, adler32 trailer), per
//	                    column_compression_zlib_wrap (default OFF: raw);
//	                    bits 0-2: N, the width of L (number_storage_requirement
//	                    of the length: 1..4)
//	  L (N bytes)       original length, BIG-endian (store_bigendian/read_bigendian)
//	  Z                 the deflate or zlib stream
//
// Sources: MariaDB sql/field_comp.cc (compress_zlib, uncompress_zlib,
// compression_methods), sql/field.cc (Field_longstr::compress and
// ::uncompress, Field_varstring_compressed, Field_blob_compressed; pack
// writes the stored bytes unchanged), include/mysql_com.h
// (MYSQL_TYPE_BLOB_COMPRESSED = 140, MYSQL_TYPE_VARCHAR_COMPRESSED = 141,
// "only used internally for RBR"). The decompressed bytes are in the
// column's charset (binary for BLOB/VARBINARY).
//
// The server bounds the original length by the field's length (for VARCHAR
// COMPRESSED the TABLE_MAP's max length, which counts the header byte; for
// BLOB COMPRESSED 2^(8*width)-1) and accepts a stream that inflates to less;
// we also require the stream to inflate to exactly the declared length, as
// compress_zlib always writes it, and cap it at 1 GiB (max_allowed_packet).
const maxMariaColumnLen = 1 << 30

// mariaZlibMethod is the only compression method MariaDB defines.
const mariaZlibMethod = 8

// errMariaCompressed is wrapped by the errors for corrupt compressed column
// values.
var errMariaCompressed = errors.New("corrupt MariaDB compressed column value")

// flateReaders recycles raw-deflate decompressors: building one allocates
// its window and tables (tens of KiB), too much for every value.
var flateReaders sync.Pool

// mariaUncompress returns the value of a MariaDB compressed column from its
// stored bytes s. limit is the largest original length the column allows.
// Values stored uncompressed are returned as a sub-slice of s; inflated
// values are appended to *scratch (allocated afresh when scratch is nil)
// and returned as a sub-slice of it, so they stay valid while scratch's
// earlier bytes do: appends that reallocate leave earlier results in the
// old array, which they keep alive.
func mariaUncompress(s []byte, limit int, scratch *[]byte) ([]byte, error) {
	if len(s) == 0 {
		return s, nil
	}
	hdr := s[0]
	method := hdr >> 4
	if method == 0 {
		rest := s[1:]
		if len(rest) > limit {
			return nil, fmt.Errorf("%w: uncompressed value of %d bytes exceeds the column's %d", errMariaCompressed, len(rest), limit)
		}
		return rest, nil
	}
	if method != mariaZlibMethod {
		return nil, fmt.Errorf("%w: header byte 0x%02x names compression method %d, only %d (zlib) exists", errMariaCompressed, hdr, method, mariaZlibMethod)
	}
	raw := hdr&0x08 != 0
	width := int(hdr & 0x07)
	if width < 1 || width > 4 {
		return nil, fmt.Errorf("%w: header byte 0x%02x gives a %d-byte length, want 1 to 4", errMariaCompressed, hdr, width)
	}
	if len(s) < 1+width {
		return nil, fmt.Errorf("%w: %d-byte original length: need %d bytes, have %d", errMariaCompressed, width, 1+width, len(s))
	}
	var declared uint64
	for _, b := range s[1 : 1+width] {
		declared = declared<<8 | uint64(b)
	}
	if declared > uint64(limit) {
		return nil, fmt.Errorf("%w: declared original length %d exceeds the column's %d", errMariaCompressed, declared, limit)
	}
	stream := s[1+width:]
	if !raw {
		// RFC 1950 header: CMF (method 8, window ≤ 32 KiB), FLG (check
		// bits, no preset dictionary).
		if len(stream) < 2 {
			return nil, fmt.Errorf("%w: zlib header: need 2 bytes, have %d", errMariaCompressed, len(stream))
		}
		cmf, flg := stream[0], stream[1]
		if cmf&0x0f != 8 || cmf>>4 > 7 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
			return nil, fmt.Errorf("%w: bad zlib header 0x%02x%02x", errMariaCompressed, cmf, flg)
		}
		stream = stream[2:]
	}
	var local []byte
	if scratch == nil {
		scratch = &local
	}
	start := len(*scratch)
	out, err := inflateExact(stream, int(declared), scratch)
	if err != nil {
		return nil, err
	}
	if !raw {
		rest := stream[len(stream)-out.unread:]
		if len(rest) < 4 {
			*scratch = (*scratch)[:start]
			return nil, fmt.Errorf("%w: zlib stream lacks its 4-byte adler32 trailer", errMariaCompressed)
		}
		if want, got := binary.BigEndian.Uint32(rest), adler32.Checksum(out.b); want != got {
			*scratch = (*scratch)[:start]
			return nil, fmt.Errorf("%w: adler32 0x%08x, the trailer says 0x%08x", errMariaCompressed, got, want)
		}
	}
	return out.b, nil
}

type inflated struct {
	b      []byte
	unread int // bytes of the input after the end of the deflate stream
}

// inflateExact inflates the raw deflate stream in into *scratch, which must
// yield exactly n bytes. Memory grows with the output actually produced, not
// with n, so a small corrupt value that declares a large length costs little.
func inflateExact(in []byte, n int, scratch *[]byte) (inflated, error) {
	src := bytes.NewReader(in) // an io.ByteReader: flate reads no byte past the stream's end
	fr, _ := flateReaders.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReader(src)
	} else if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return inflated{}, fmt.Errorf("%w: %v", errMariaCompressed, err)
	}
	defer flateReaders.Put(fr)

	buf := *scratch
	start := len(buf)
	step := min(n, max(4*len(in), 512))
	for stalls := 0; len(buf)-start < n; {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, step)
			step = min(2*step, n)
		}
		room := min(cap(buf)-len(buf), n-(len(buf)-start))
		k, err := fr.Read(buf[len(buf) : len(buf)+room])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			break
		}
		if err == nil && k == 0 {
			if stalls++; stalls > 100 {
				err = io.ErrNoProgress
			}
		}
		if err != nil {
			*scratch = buf[:start]
			return inflated{}, fmt.Errorf("%w: inflate: %v", errMariaCompressed, err)
		}
	}
	got := len(buf) - start
	if got < n {
		*scratch = buf[:start]
		return inflated{}, fmt.Errorf("%w: the stream inflates to %d bytes, the header declares %d", errMariaCompressed, got, n)
	}
	// The stream must end here: one more byte means it is longer than
	// declared.
	var one [1]byte
	for stalls := 0; ; stalls++ {
		k, err := fr.Read(one[:])
		if err == nil && k == 0 && stalls > 100 {
			err = io.ErrNoProgress
		}
		if k > 0 {
			*scratch = buf[:start]
			return inflated{}, fmt.Errorf("%w: the stream inflates to more than the %d bytes the header declares", errMariaCompressed, n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*scratch = buf[:start]
			return inflated{}, fmt.Errorf("%w: inflate: %v", errMariaCompressed, err)
		}
	}
	*scratch = buf
	return inflated{b: buf[start:len(buf):len(buf)], unread: src.Len()}, nil
}

// mariaCompressedLimit is the largest original length a value of column c
// may declare: the server's bound (Field::field_length: the VARCHAR max
// length from the metadata, which counts the header byte; 2^(8*width)-1 for
// BLOB), capped at maxMariaColumnLen.
func mariaCompressedLimit(c *Column) int {
	limit := maxMariaColumnLen
	if c.Type == TypeMariaVarcharCompressed {
		limit = c.Length
	} else if c.Length < 4 {
		limit = 1<<(8*c.Length) - 1
	}
	return min(limit, maxMariaColumnLen)
}
