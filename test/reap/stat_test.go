package reap

import "testing"

func TestParseStat(t *testing.T) {
	ppid, start, ok := parseStat("1234 (kube controller) S 42 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 5 0 987654 1000 10 18446744073709551615")
	if !ok || ppid != 42 || start != "987654" {
		t.Fatalf("parseStat = %d, %q, %v; want 42, 987654, true", ppid, start, ok)
	}
	if _, _, ok := parseStat("garbage"); ok {
		t.Fatal("parseStat accepted a line without a command name")
	}
}
