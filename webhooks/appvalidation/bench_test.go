package appvalidation

import (
	"context"
	"testing"

	"knapp.dev/knapp/pkg/knativeconfig"
)

// BenchmarkValidate measures admission of the full App: the App's own
// rules alone (the baseline) and Validate, which adds the builders and
// Knative's SetDefaults and Validate on the Service they make.
func BenchmarkValidate(b *testing.B) {
	app := fullApp()
	cfg := knativeconfig.Default()
	ctx := context.Background()
	b.Run("app-rules", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if errs := app.Validate(); len(errs) > 0 {
				b.Fatal(errs.ToAggregate())
			}
		}
	})
	b.Run("with-knative", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if errs := Validate(ctx, cfg, app); len(errs) > 0 {
				b.Fatal(errs.ToAggregate())
			}
		}
	})
}
