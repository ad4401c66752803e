package binlogfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/binlogfile"
)

// exampleBinlog builds a tiny binlog in memory: the magic, a MySQL 8.0
// FORMAT_DESCRIPTION and one event of an unknown type, with CRC32 checksums.
func exampleBinlog() []byte {
	event := func(typ byte, body []byte, pos int) []byte {
		size := 19 + len(body) + 4
		ev := make([]byte, 19, size)
		binary.LittleEndian.PutUint32(ev[0:], 1700000000)
		ev[4] = typ
		binary.LittleEndian.PutUint32(ev[5:], 1)
		binary.LittleEndian.PutUint32(ev[9:], uint32(size))
		binary.LittleEndian.PutUint32(ev[13:], uint32(pos+size))
		ev = append(ev, body...)
		return binary.LittleEndian.AppendUint32(ev, crc32.ChecksumIEEE(ev))
	}
	fde := make([]byte, 2+50+4+1)
	binary.LittleEndian.PutUint16(fde, 4)
	copy(fde[2:], "8.0.36")
	fde[56] = 19
	fde = append(fde, make([]byte, 41)...) // post-header lengths
	fde = append(fde, 1)                   // checksum: CRC32
	out := []byte{0xfe, 'b', 'i', 'n'}
	out = append(out, event(15, fde, len(out))...)
	out = append(out, event(200, []byte("hello"), len(out))...)
	return out
}

func Example() {
	// Open("binlog.000001") reads a file the same way.
	r := binlogfile.NewReader(bytes.NewReader(exampleBinlog()), "example.000001")
	defer r.Close()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s:%d %s", ev.File, ev.Pos, ev.Header.Type)
		switch body := ev.Body.(type) {
		case *binlog.FormatDescriptionEvent:
			fmt.Printf(" server %s", body.ServerVersion)
		case *binlog.RawEvent:
			fmt.Printf(" %q", body.Data)
		}
		fmt.Println()
	}
	// Output:
	// example.000001:4 FORMAT_DESCRIPTION server 8.0.36
	// example.000001:126 TYPE_200 "hello"
}

// Reading from a start position, as mysqlbinlog --start-position: the
// format event at offset 4 is decoded but not returned.
func ExampleWithStartPosition() {
	r := binlogfile.NewReader(bytes.NewReader(exampleBinlog()), "example.000001",
		binlogfile.WithStartPosition(126))
	defer r.Close()
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Pos, ev.Header.Type, ev.End())
	}
	// Output:
	// 126 TYPE_200 154
}

// Errors name the file, the offset and the event type.
func ExampleReader_Next_error() {
	data := exampleBinlog()
	r := binlogfile.NewReader(bytes.NewReader(data[:len(data)-3]), "binlog.000002")
	for {
		_, err := r.Next()
		if err != nil {
			fmt.Println(err)
			fmt.Println(errors.Is(err, io.ErrUnexpectedEOF))
			break
		}
	}
	// Output:
	// binlog binlog.000002:126: decode TYPE_200: event at offset 126 is incomplete (event_size is 28 but the data ends before that): file truncated or still being written: unexpected EOF
	// true
}
