package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machineInfo describes the machine the figures were measured on.
type machineInfo struct {
	cpus    int
	model   string
	memory  int64 // bytes
	kernel  string
	goVer   string
	loadAvg string
}

func readMachine() machineInfo {
	mi := machineInfo{cpus: runtime.NumCPU(), model: "unknown CPU", goVer: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				mi.model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				mi.memory = kb << 10
				break
			}
		}
		f.Close()
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		mi.kernel = "Linux " + charsToString(u.Release[:]) + " " + charsToString(u.Machine[:])
	}
	mi.loadAvg = loadAvg()
	return mi
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func charsToString[T int8 | uint8](cs []T) string {
	b := make([]byte, 0, len(cs))
	for _, c := range cs {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func (m machineInfo) String() string {
	return fmt.Sprintf("%d CPUs (nproc), %s, %.1f GiB RAM, %s, %s, load average at start %s",
		m.cpus, m.model, float64(m.memory)/(1<<30), m.kernel, m.goVer, m.loadAvg)
}

// clkTck is the kernel's USER_HZ, the unit of /proc/PID/stat's times (100
// on every Linux platform Go supports in practice).
const clkTck = 100

// cpuSample holds the CPU time used so far by a set of processes.
type cpuSample map[int]time.Duration

// procStat returns the parent and the CPU time (user + system, all
// threads) of process pid from /proc/PID/stat.
func procStat(pid int) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	// After "pid (comm)": state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime ...
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, false
	}
	return ppid, time.Duration(ut+st) * time.Second / clkTck, true
}

// sampleCPU returns the CPU time of pid and, with children, of every
// process whose parent is pid (PostgreSQL's backends).
func sampleCPU(pid int, children bool) cpuSample {
	out := cpuSample{}
	if pid <= 0 {
		return out
	}
	if _, cpu, ok := procStat(pid); ok {
		out[pid] = cpu
	}
	if !children {
		return out
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, cpu, ok := procStat(c); ok && ppid == pid {
			out[c] = cpu
		}
	}
	return out
}

// since returns the CPU time used between an earlier sample and s: the
// growth of the processes in both plus all of the processes new in s.
func (s cpuSample) since(before cpuSample) time.Duration {
	var d time.Duration
	for pid, cpu := range s {
		d += cpu - before[pid]
	}
	return d
}

// memStatus returns VmRSS (resident now) and VmHWM (the peak resident set
// since the process started) of pid from /proc/PID/status, in bytes.
func memStatus(pid int) (rss, hwm int64, ok bool) {
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
