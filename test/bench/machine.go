package main

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what the figures depend on besides knapp: they are only
// comparable on the same machine under the same load.
type Machine struct {
	NProc       int     `json:"nproc"`
	CPUModel    string  `json:"cpu_model"`
	MemTotalMiB float64 `json:"mem_total_mib"`
	GoVersion   string  `json:"go_version"`
	Kernel      string  `json:"kernel"`
	LoadStart   LoadAvg `json:"load_start"`
	LoadEnd     LoadAvg `json:"load_end"`
}

// LoadAvg is /proc/loadavg's 1, 5 and 15 minute averages.
type LoadAvg [3]float64

func (l LoadAvg) String() string {
	return strconv.FormatFloat(l[0], 'f', 2, 64) + " " + strconv.FormatFloat(l[1], 'f', 2, 64) + " " + strconv.FormatFloat(l[2], 'f', 2, 64)
}

func machineFacts() Machine {
	m := Machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version(), LoadStart: loadAvg()}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		m.MemTotalMiB = kb / 1024
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// procField is the value of the first "key: value" line of key in file.
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadAvg() LoadAvg {
	var l LoadAvg
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l
	}
	for i, f := range strings.Fields(string(b)) {
		if i == 3 {
			break
		}
		l[i], _ = strconv.ParseFloat(f, 64)
	}
	return l
}
