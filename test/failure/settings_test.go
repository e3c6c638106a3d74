package failure

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// envInt is a positive integer setting from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// envSeed is KNAPP_FAILURE_SEED, or a new seed the test logs.
func envSeed(t *testing.T) int64 {
	t.Helper()
	v := os.Getenv("KNAPP_FAILURE_SEED")
	if v == "" {
		return time.Now().UnixNano()
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("KNAPP_FAILURE_SEED=%q: want an integer", v)
	}
	return n
}

// randDuration is a duration in [0, d) from rng.
func randDuration(rng *rand.Rand, d time.Duration) time.Duration {
	return time.Duration(rng.Int64N(int64(d)))
}
