package chart

import (
	"os"
	"testing"
)

// TestPrint writes the default rendering to stdout with -run TestPrint -v;
// a debugging aid only.
func TestPrint(t *testing.T) {
	if os.Getenv("KNAPP_CHART_PRINT") == "" {
		t.Skip("set KNAPP_CHART_PRINT=<values yaml> to print a rendering")
	}
	r := render(t, os.Getenv("KNAPP_CHART_PRINT"))
	for _, o := range r.Objects {
		os.Stdout.Write(append([]byte("---\n"), o.Raw...))
	}
	os.Stdout.WriteString(r.Notes)
}
