package platform

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	if got := Default().Domain(); got != "sls-local.knapp.example.com" {
		t.Errorf("Domain() = %q", got)
	}
}

func TestLoad(t *testing.T) {
	write := func(t *testing.T, content string) string {
		p := filepath.Join(t.TempDir(), "platform.yaml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("over the defaults", func(t *testing.T) {
		cfg, err := Load(write(t, "clusterName: eu1\ndomainSuffix: apps.example.org\n"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Domain() != "sls-eu1.apps.example.org" || cfg.Environments["prod"].MinScale == nil {
			t.Errorf("got %+v", cfg)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		_, err := Load(write(t, "clusterNmae: eu1\n"))
		if err == nil || !strings.Contains(err.Error(), "clusterNmae") {
			t.Fatalf("want the typo named, got %v", err)
		}
	})
	t.Run("invalid values", func(t *testing.T) {
		_, err := Load(write(t, "clusterName: EU_1\nenvironments:\n  prod: {minScale: -1}\n"))
		for _, want := range []string{"clusterName", "environments.prod.minScale"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("want %s named in %v", want, err)
			}
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestEnvironmentFor(t *testing.T) {
	cfg := Default()
	env, err := cfg.EnvironmentFor("team-a", map[string]string{EnvironmentLabel: "prod"})
	if err != nil || env.MinScale == nil || *env.MinScale != 1 {
		t.Fatalf("prod: got %+v, %v", env, err)
	}
	env, err = cfg.EnvironmentFor("team-a", nil)
	if err != nil || env.MinScale != nil {
		t.Fatalf("no label: got %+v, %v", env, err)
	}
	_, err = cfg.EnvironmentFor("team-a", map[string]string{EnvironmentLabel: "qa"})
	var unknown *UnknownEnvironmentError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), `knapp.dev/environment="qa"`) || !strings.Contains(err.Error(), "dev, prod, staging") {
		t.Fatalf("unknown environment: got %v", err)
	}
}
