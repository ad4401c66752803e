package binlog

import "testing"

// The expected strings are what MariaDB 10.11's CONVERT(... USING utf8mb4)
// returns for the same bytes.
func TestAppendUTF8ServerMappings(t *testing.T) {
	for _, tc := range []struct {
		name string
		cs   Charset
		in   string
		want string
	}{
		// IBM extension kanji in eucJP-ms's JIS X 0212 user area, and a
		// NEC row 13 circled digit: unknown to plain EUC-JP.
		{"eucjpms IBM and NEC extensions", CharsetEUCJPMS, "\x8f\xf4\xfb\xb6\xb6 \xad\xa1", "髙橋 ①"},
		{"eucjpms plain JIS X 0208", CharsetEUCJPMS, "\xc6\xfc\xcb\xdc", "日本"},
		{"ujis JIS X 0212 tilde", CharsetUJIS, "a\x8f\xa2\xb7b", "a~b"},
		// MySQL's sjis is JIS-strict: 0x815F is the backslash; cp932
		// follows Windows and maps it to the fullwidth reverse solidus.
		{"sjis backslash", CharsetSJIS, "\x81\x5f", "\\"},
		{"cp932 fullwidth backslash", CharsetCP932, "\x81\x5f", "＼"},
		{"cp932 user-defined area", CharsetCP932, "x\xf0\x40y", "x\ue000y"},
		{"big5 bullet", CharsetBig5, "\xa1\x45", "\u2022"},
	} {
		got, ok := AppendUTF8(nil, []byte(tc.in), tc.cs)
		if !ok || string(got) != tc.want {
			t.Errorf("%s: AppendUTF8(%q) = %q, %v; want %q", tc.name, tc.in, got, ok, tc.want)
		}
	}
	// Bytes invalid in the charset still fail, so callers keep them.
	if got, ok := AppendUTF8([]byte("p"), []byte("\xad"), CharsetEUCJPMS); ok || string(got) != "p" {
		t.Errorf("truncated eucjpms: got %q, %v; want unchanged and false", got, ok)
	}
}
