package chart

import (
	"os"
	"sync"
	"testing"
)

// cleanups run after every test of the package: what several tests share
// (the knapp binary, the control plane) is made once and removed here.
var (
	cleanupsMu sync.Mutex
	cleanups   []func()
)

func atExit(f func()) {
	cleanupsMu.Lock()
	defer cleanupsMu.Unlock()
	cleanups = append(cleanups, f)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}
