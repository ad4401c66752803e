package proto

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReadPacket(f *testing.F) {
	w := &rw{}
	wf := NewFramer(w)
	wf.WritePacket([]byte("hello"))
	wf.WritePacket(nil)
	f.Add(w.w.Bytes())
	f.Add([]byte{0xff, 0xff, 0xff, 0, 1})
	f.Add([]byte{1, 0, 0, 3, 'x'})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := NewFramer(&rw{r: bytes.NewReader(data)})
		// Small limit: memory stays bounded whatever the lengths say.
		fr.SetMaxPacketSize(1 << 20)
		total := 0
		for range 1000 {
			p, err := fr.ReadPacket()
			if err != nil {
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrPacketTooLarge) {
					var se *SequenceError
					if !errors.As(err, &se) {
						t.Fatalf("unexpected error kind: %v", err)
					}
				}
				break
			}
			total += len(p)
			if cap(fr.buf) > 4*len(data)+initialBufferCap+2*readStep {
				t.Fatalf("buffer of %d bytes for %d input bytes", cap(fr.buf), len(data))
			}
		}
		if total > len(data) {
			t.Fatalf("read %d payload bytes from %d input bytes", total, len(data))
		}
	})
}

func FuzzParseHandshake(f *testing.F) {
	f.Add(buildHandshake("5.5.5-10.11.6-MariaDB", ClientProtocol41|ClientSecureConnection|ClientPluginAuth, 29, testNonce, "mysql_native_password"))
	f.Add(buildHandshake("8.0.36", ClientLongPassword|ClientProtocol41|ClientSecureConnection|ClientPluginAuth, 0, testNonce, "caching_sha2_password"))
	f.Add([]byte{0xff, 0x10, 0x04, 'T', 'o', 'o'})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHandshake(b)
		if err != nil {
			if h != nil {
				t.Fatal("handshake and error")
			}
			return
		}
		if h.ProtocolVersion != 10 || len(h.AuthData) > len(b) {
			t.Fatalf("%+v", h)
		}
	})
}

func FuzzParseERR(f *testing.F) {
	f.Add([]byte("\xff\x15\x04#28000Access denied"))
	f.Add([]byte("\xff\x15\x04Access denied"))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if e := ParseERR(b); e == nil || e.Error() == "" {
			t.Fatal("nil or empty error")
		}
	})
}

func FuzzParseOK(f *testing.F) {
	f.Add([]byte{0, 0, 0, 2, 0, 0, 0})
	f.Add([]byte{0, 0xfc, 1, 2, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8, 2, 0, 0, 0, 'i'})
	f.Fuzz(func(t *testing.T, b []byte) {
		ok, err := ParseOK(b)
		if err == nil && ok == nil {
			t.Fatal("nil OK without error")
		}
		ParseEOF(b)
		ParseAuthSwitchRequest(b)
	})
}

func FuzzTextRow(f *testing.F) {
	f.Add(AppendTextRow(nil, [][]byte{[]byte("a"), nil, {}}), 3)
	f.Add([]byte{0xfc, 0xff}, 1)
	f.Add(AppendColumnDef(nil, ColumnDef{Name: "x"}), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		ParseColumnDef(b)
		if n < 0 || n > 1000 {
			return
		}
		vals, err := ParseTextRow(nil, b, n)
		if err != nil {
			return
		}
		// A successful parse re-encodes to the same bytes, except that a
		// length may have had a longer encoding than needed.
		if len(vals) != n {
			t.Fatalf("%d values for %d columns", len(vals), n)
		}
		if re := AppendTextRow(nil, vals); len(re) > len(b) {
			t.Fatalf("re-encoded row longer than input")
		}
	})
}
