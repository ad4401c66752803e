package jsontext

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// stdString is what encoding/json writes for s without HTML escaping.
func stdString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\`, "nl\n cr\r tab\t bs\b ff\f", "\x00\x01\x1f\x7f", "<a&b>", "héllo €", "bad\xffutf8\xc3", "\u2028\u2029", "日本語", "😀"} {
		want := stdString(s)
		if got := string(AppendString(nil, s)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want)
		}
		if got := string(AppendBytes([]byte("x"), []byte(s))); got != "x"+want {
			t.Errorf("AppendBytes(%q) = %s, want x%s", s, got, want)
		}
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	in := []byte("text with \"quotes\", a tab\t and ü")
	if n := testing.AllocsPerRun(100, func() { buf = AppendBytes(buf[:0], in) }); n != 0 {
		t.Errorf("AppendBytes allocates %v times", n)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\n\xff\u2028")
	f.Add("\b")
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		if want := stdString(s); string(got) != want {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("invalid UTF-8 output %q", got)
		}
		if b := AppendBytes(nil, []byte(s)); !bytes.Equal(b, got) {
			t.Fatalf("AppendBytes(%q) = %s, AppendString gives %s", s, b, got)
		}
	})
}

// The value renderer converts text into a stack buffer and appends it with
// AppendBytes; that buffer must not be forced onto the heap.
func TestAppendBytesStackBuffer(t *testing.T) {
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() {
		var buf [64]byte
		b := append(buf[:0], "converted text"...)
		dst = AppendBytes(dst[:0], b)
	}); n != 0 {
		t.Errorf("AppendBytes from a stack buffer allocates %v times", n)
	}
}
