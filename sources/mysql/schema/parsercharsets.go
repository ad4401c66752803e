package schema

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/charset"
)

// The TiDB parser rejects character sets TiDB does not implement (latin2,
// cp1251, ucs2, utf16, ...) and collations it does not know (MariaDB's
// nopad and uca1400 families), although MySQL and MariaDB tables use
// them. The parser validates names against tables in its charset package,
// which offers AddCharset/AddCollation for this purpose. We register the
// missing names once, at init, like the parser's own driver registration
// (test_driver): static data, never changed afterwards, so the Applier
// itself keeps no mutable global state. Registered collations get IDs far
// above MySQL's (which stop below 2^11 and TiDB's own below 2^12) so that
// no real collation ID is shadowed.
func init() {
	id := 1 << 20
	for name, ci := range charsets {
		if _, err := charset.GetCharsetInfo(name); err == nil {
			continue
		}
		def := ci.collation
		if def == "" {
			def = name + "_general_ci"
		}
		charset.AddCharset(&charset.Charset{Name: name, DefaultCollation: def,
			Collations: map[string]*charset.Collation{}, Maxlen: ci.maxLen})
	}
	add := func(cs, name string) {
		if _, err := charset.GetCollationByName(name); err == nil {
			return
		}
		id++
		pad := "PAD SPACE"
		if strings.Contains(name, "nopad") {
			pad = "NO PAD"
		}
		charset.AddCollation(&charset.Collation{ID: id, CharsetName: cs, Name: name, Sortlen: 1, PadAttribute: pad})
	}
	for cs := range charsets {
		if cs == "binary" {
			continue
		}
		// Every charset has _general_ci/_bin style collations on MySQL;
		// MariaDB adds a NO PAD variant of each.
		for _, suffix := range []string{"_bin", "_nopad_bin", "_general_ci", "_general_nopad_ci"} {
			add(cs, cs+suffix)
		}
		if ci := charsets[cs]; ci.collation != "" {
			add(cs, ci.collation)
			add(cs, strings.Replace(ci.collation, "_ci", "_nopad_ci", 1))
		}
	}
	for _, cs := range []string{"utf8mb3", "utf8mb4", "ucs2", "utf16", "utf16le", "utf32"} {
		for _, suffix := range []string{"_unicode_ci", "_unicode_nopad_ci", "_unicode_520_ci", "_unicode_520_nopad_ci",
			"_uca1400_ai_ci", "_uca1400_ai_cs", "_uca1400_as_ci", "_uca1400_as_cs",
			"_uca1400_nopad_ai_ci", "_uca1400_nopad_ai_cs", "_uca1400_nopad_as_ci", "_uca1400_nopad_as_cs",
			"_0900_ai_ci", "_0900_as_ci", "_0900_as_cs", "_0900_bin"} {
			add(cs, cs+suffix)
		}
	}
}
