package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const clockTicks = 100

// ProcSample is knapp's process as /proc reports it at one point.
type ProcSample struct {
	At string `json:"at"`
	// RSSMiB is VmRSS, the resident set now; HWMMiB VmHWM, its peak so far.
	RSSMiB float64 `json:"rss_mib"`
	HWMMiB float64 `json:"hwm_mib"`
	// CPUSeconds is utime+stime since the process started.
	CPUSeconds float64 `json:"cpu_seconds"`
}

func sampleProc(pid int, at string) (ProcSample, error) {
	s := ProcSample{At: at}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		if err != nil {
			return s, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			s.RSSMiB = kb / 1024
		} else {
			s.HWMMiB = kb / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name (field 2) may hold spaces; fields are counted after
	// its closing parenthesis, where field 3 (state) is index 0.
	i := strings.LastIndexByte(string(stat), ')')
	f := strings.Fields(string(stat)[i+1:])
	if i < 0 || len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	s.CPUSeconds = (utime + stime) / clockTicks
	return s, nil
}
