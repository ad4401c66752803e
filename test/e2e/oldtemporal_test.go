package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// oldTemporalTable has the classic TIME, DATETIME and TIMESTAMP formats
// (binlog types 11, 12 and 7), which MariaDB still writes for tables
// created with mysql56_temporal_format=OFF (and for tables upgraded from
// old servers).
var oldTemporalTable = table{"old_temporal", []column{
	{"t", "TIME", kTemporal}, {"dt", "DATETIME", kTemporal}, {"ts", "TIMESTAMP NULL DEFAULT NULL", kTimestamp},
}}

func oldTemporalSteps() []step {
	return []step{
		{"", "SET time_zone = '+00:00'"},
		{"old_temporal", "INSERT INTO old_temporal VALUES (1, '838:59:59', '9999-12-31 23:59:59', '2038-01-19 03:14:07')"},
		{"old_temporal", "INSERT INTO old_temporal VALUES (2, '-838:59:59', '1000-01-01 00:00:00', '1970-01-01 00:00:01'), " +
			"(3, '-00:00:01', '2024-02-29 12:34:56', '2024-02-29 12:34:56'), (4, NULL, NULL, NULL)"},
		{"", "SET sql_mode = ''"},
		{"old_temporal", "INSERT INTO old_temporal VALUES (5, '00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'), " +
			"(6, '100:00:00', '2024-00-00 10:00:00', NULL)"},
		{"", "SET sql_mode = DEFAULT"},
		{"old_temporal", "UPDATE old_temporal SET t = '-12:34:56', dt = '2000-01-01 00:00:00', ts = '2000-01-01 00:00:00' WHERE id IN (1, 4)"},
		{"old_temporal", "DELETE FROM old_temporal"},
	}
}

// TestOldTemporalFormats: classic fsp-0 TIME/DATETIME/TIMESTAMP columns
// must decode exactly. Not parallel: it changes a global variable of the
// shared server.
func TestOldTemporalFormats(t *testing.T) {
	db := sharedDB(t)
	defer func() {
		if _, err := db.DB().ExecContext(t.Context(), "SET GLOBAL mysql56_temporal_format = ON"); err != nil {
			t.Error(err)
		}
	}()
	files := runPass(t, db, pass{
		name: "old-temporal", schema: "e2e_oldtemporal",
		globals: []string{"SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL mysql56_temporal_format = OFF"},
		tables:  []table{oldTemporalTable},
		steps:   oldTemporalSteps(),
	})
	// The columns really have the classic types, not TIME2/DATETIME2/TIMESTAMP2.
	seen := 0
	for _, ev := range dump(t, append([]string{"--types", "TABLE_MAP", "--tables", "e2e_oldtemporal.*"}, files...)...) {
		cols, _ := ev["columns"].([]any)
		var types []string
		for _, c := range cols {
			m, _ := c.(map[string]any)
			types = append(types, fmt.Sprint(m["type"]))
		}
		if got := strings.Join(types, ","); got != "LONG,TIME,DATETIME,TIMESTAMP" {
			t.Errorf("TABLE_MAP column types = %s, want LONG,TIME,DATETIME,TIMESTAMP", got)
		}
		seen++
	}
	if seen == 0 {
		t.Error("no TABLE_MAP of e2e_oldtemporal.old_temporal in the dump")
	}
}

// TestOldTemporalFractionalNoSilentCorruption: MariaDB's pre-10.1 TIME(n),
// DATETIME(n) and TIMESTAMP(n) with n > 0 are written with the classic type
// codes and no metadata, so their length cannot be known from the binlog
// (mariadb-binlog prints nothing for them). The dump must then fail with an
// error naming the file, never print wrong values.
func TestOldTemporalFractionalNoSilentCorruption(t *testing.T) {
	db := sharedDB(t)
	ctx := t.Context()
	defer func() {
		if _, err := db.DB().ExecContext(ctx, "SET GLOBAL mysql56_temporal_format = ON"); err != nil {
			t.Error(err)
		}
	}()
	tb := table{"old_fsp", []column{{"t3", "TIME(3)", kTemporal}, {"dt6", "DATETIME(6)", kTemporal}, {"ts2", "TIMESTAMP(2) NULL DEFAULT NULL", kTimestamp}}}
	p := pass{
		name: "old-temporal-fsp", schema: "e2e_oldfsp",
		globals: []string{"SET GLOBAL binlog_row_metadata = 'FULL'", "SET GLOBAL mysql56_temporal_format = OFF"},
		tables:  []table{tb},
		steps: []step{
			{"", "SET time_zone = '+00:00'"},
			{"old_fsp", "INSERT INTO old_fsp VALUES (1, '-01:02:03.004', '2024-02-29 12:34:56.000001', '2024-02-29 12:34:56.5'), (2, '838:59:59.999', '9999-12-31 23:59:59.999999', NULL)"},
			{"old_fsp", "UPDATE old_fsp SET t3 = '00:00:00.001' WHERE id = 1"},
			{"old_fsp", "DELETE FROM old_fsp"},
		},
	}
	expected, files := runWorkload(t, db, p)
	cmd := exec.CommandContext(ctx, shared.syncer, append([]string{"binlog", "dump"}, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := stderr.String()
		if !strings.Contains(msg, files[0]) {
			t.Errorf("dump failed without naming the file %s: %s", files[0], msg)
		}
		t.Logf("dump rejects the undecodable old-format columns: %s", strings.TrimSpace(msg))
		return
	}
	// The dump succeeded: then every value must be right.
	events := dump(t, files...)
	got, _ := rowsOf(t, events, p.schema, false)
	compareAll(t, p, expected, got)
}
