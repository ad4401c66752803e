package benchrun

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// clkTck is the kernel's USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux platform Go supports in practice).
const clkTck = 100

// CPUSample holds the CPU time used so far by a set of processes, by pid.
type CPUSample map[int]time.Duration

// procCPU returns the CPU time (user + system, all threads) of process
// pid from /proc/PID/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	// After "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime ...
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * time.Second / clkTck, true
}

// SampleCPU returns the CPU time of pid and, with children, of every
// process whose parent is pid (PostgreSQL's backends, which do its work).
func SampleCPU(pid int, children bool) CPUSample {
	out := CPUSample{}
	if pid <= 0 {
		return out
	}
	if cpu, ok := procCPU(pid); ok {
		out[pid] = cpu
	}
	if !children {
		return out
	}
	for _, c := range harness.ChildPIDs(pid) {
		if cpu, ok := procCPU(c); ok {
			out[c] = cpu
		}
	}
	return out
}

// Since returns the CPU time used between an earlier sample and s: the
// growth of the processes in both plus all of the processes new in s (a
// backend started during the phase worked only in it).
func (s CPUSample) Since(before CPUSample) time.Duration {
	var d time.Duration
	for pid, cpu := range s {
		d += cpu - before[pid]
	}
	return d
}

// MemStatus returns VmRSS (resident now) and VmHWM (the peak resident set
// since the process started) of pid from /proc/PID/status, in bytes.
func MemStatus(pid int) (rss, hwm int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm, rss > 0 || hwm > 0
}

// CPUTimes is the CPU time (user + system) of syncer and of the two
// servers over one measured phase.
type CPUTimes struct {
	Syncer, Postgres, MariaDB time.Duration
}

// Line shows the times and, in cores, their share of the phase's length
// d: whether syncer or a server was the bottleneck.
func (c CPUTimes) Line(phase string, d time.Duration) string {
	cores := func(x time.Duration) string {
		return fmt.Sprintf("%s (%.2f cores)", Round(x), x.Seconds()/d.Seconds())
	}
	return fmt.Sprintf("CPU time over the %s (user + system): syncer %s, PostgreSQL %s, MariaDB %s",
		phase, cores(c.Syncer), cores(c.Postgres), cores(c.MariaDB))
}

// CPUMeter holds the servers' CPU time at the start of a phase, so that
// Read can tell what the phase used.
type CPUMeter struct {
	env               *Env
	postgres, mariadb CPUSample
}

// StartCPU samples the servers' CPU time at the start of a phase.
func (e *Env) StartCPU() CPUMeter {
	return CPUMeter{env: e, postgres: e.PostgresCPU(), mariadb: e.MariaDBCPU()}
}

// Read returns the CPU time used since StartCPU: the servers' growth, and
// all of syncer's (it was started within the phase).
func (m CPUMeter) Read(syncer *Syncer) CPUTimes {
	return CPUTimes{
		Postgres: m.env.PostgresCPU().Since(m.postgres),
		MariaDB:  m.env.MariaDBCPU().Since(m.mariadb),
		Syncer:   SampleCPU(syncer.PID(), false).Since(nil),
	}
}

// PostgresCPU samples PostgreSQL's postmaster and its backends.
func (e *Env) PostgresCPU() CPUSample { return SampleCPU(e.Postgres.PID(), true) }

// MariaDBCPU samples mariadbd (one process; its threads are counted in
// it).
func (e *Env) MariaDBCPU() CPUSample { return SampleCPU(e.MariaDB.PID(), false) }
