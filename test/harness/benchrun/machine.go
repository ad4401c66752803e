package benchrun

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Machine describes the machine the figures were measured on.
type Machine struct {
	cpus    int
	model   string
	memory  int64 // bytes
	kernel  string
	goVer   string
	loadAvg string // at the time of ReadMachine
}

// ReadMachine reads the machine's description from /proc and uname.
func ReadMachine() Machine {
	mi := Machine{cpus: runtime.NumCPU(), model: "unknown CPU", goVer: runtime.Version()}
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
	mi.loadAvg = LoadAvg()
	return mi
}

// LoadAvg returns the 1, 5 and 15 minute load averages: the machine is
// shared, and its load moves the figures.
func LoadAvg() string {
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

// charsToString converts a NUL-terminated field of Utsname, whose element
// type differs between platforms.
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

func (m Machine) String() string {
	return fmt.Sprintf("%d CPUs (nproc), %s, %.1f GiB RAM, %s, %s, load average at start %s",
		m.cpus, m.model, float64(m.memory)/(1<<30), m.kernel, m.goVer, m.loadAvg)
}
