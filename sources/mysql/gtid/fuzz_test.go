package gtid

import (
	"strings"
	"testing"
)

func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"",
		uuidA + ":1-5:7",
		uuidA + ":1-5:tag1:1-3:7," + uuidB + ":1-100",
		" " + uuidB + " : 1 - 5 ,\n" + uuidA + ":T:9",
		uuidA + ":9223372036854775806",
		uuidA + ":0",
		",," + uuidA + ",",
		uuidA + ":" + strings.Repeat("a", 33) + ":1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseSet(s)
		if err != nil {
			if set != nil {
				t.Fatal("non-nil set with error")
			}
			return
		}
		text := set.String()
		again, err := ParseSet(text)
		if err != nil {
			t.Fatalf("ParseSet(%q) ok, but its String %q does not parse: %v", s, text, err)
		}
		if !again.Equal(set) || again.String() != text {
			t.Fatalf("ParseSet(%q): String %q re-parses as %q", s, text, again)
		}
		d, err := DecodeSet(set.Encode())
		if err != nil || !d.Equal(set) {
			t.Fatalf("binary round trip of %q: %q, %v", text, d, err)
		}
	})
}

func FuzzDecodeSet(f *testing.F) {
	for _, s := range []string{"", uuidA + ":1-5:7", uuidA + ":1-5:tag1:1-3:7," + uuidB + ":1-100"} {
		f.Add(MustParseSet(s).Encode())
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}) // lying count
	f.Add([]byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		// DecodeSet checks every count against the bytes left before
		// allocating; with -fuzz, a violation shows as an out-of-memory
		// crash or a slow input.
		set, err := DecodeSet(b)
		if err != nil {
			return
		}
		again, err := DecodeSet(set.Encode())
		if err != nil || !again.Equal(set) {
			t.Fatalf("re-encoding %x: %q, %v", b, again, err)
		}
		p, err := ParseSet(set.String())
		if err != nil || !p.Equal(set) {
			t.Fatalf("text of decoded %x: %q, %v", b, p, err)
		}
	})
}

func FuzzParseMariaDBPos(f *testing.F) {
	for _, s := range []string{"", "0-1-100", "0-1-100,1-2-5", " 2-1-7 ,\n0-1-100", "0-1-1,0-2-2", "4294967295-4294967295-18446744073709551615", "1-1-1,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseMariaDBPos(s)
		if err != nil {
			return
		}
		text := p.String()
		again, err := ParseMariaDBPos(text)
		if err != nil || !again.Equal(p) || again.String() != text {
			t.Fatalf("ParseMariaDBPos(%q): String %q re-parses as %q, %v", s, text, again, err)
		}
		for _, g := range p.Domains() {
			if h, ok := again.Get(g.Domain); !ok || h != g {
				t.Fatalf("domain %d lost", g.Domain)
			}
		}
	})
}
