package cli

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/test/testenv"
)

// krewPlugin is the part of Krew's Plugin (krew.googlecontainertools.github.com/v1alpha2)
// the index checks; decoded strictly, so an unknown key fails.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// hack/krew.sh builds the plugin's archive for this machine and a Krew
// manifest whose sha256 is the archive's, whose binary is in it and runs.
func TestKrewManifest(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	cmd := exec.Command("bash", "hack/krew.sh", "v0.1.0")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PLATFORMS="+platform)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/krew.sh: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(root, "bin", "krew", "knapp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("the manifest is not Krew's Plugin: %v\n%s", err, data)
	}
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "knapp" ||
		!regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(p.Spec.Version) || p.Spec.ShortDescription == "" || len(p.Spec.Platforms) != 1 {
		t.Fatalf("manifest %+v", p)
	}
	pl := p.Spec.Platforms[0]
	archive := "kubectl-knapp_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"
	if pl.Selector.MatchLabels["os"] != runtime.GOOS || pl.Selector.MatchLabels["arch"] != runtime.GOARCH ||
		!strings.HasSuffix(pl.URI, "/v0.1.0/"+archive) || pl.Bin != "kubectl-knapp" {
		t.Errorf("platform %+v", pl)
	}
	file, err := os.ReadFile(filepath.Join(root, "bin", "krew", archive))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(file); hex.EncodeToString(sum[:]) != pl.Sha256 {
		t.Errorf("sha256 %s in the manifest, %x of the archive", pl.Sha256, sum)
	}
	bin := filepath.Join(t.TempDir(), pl.Bin)
	extract(t, filepath.Join(root, "bin", "krew", archive), pl.Bin, bin)
	out, err := exec.Command(bin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "canary") || !strings.Contains(string(out), "--kubeconfig") {
		t.Errorf("the archived kubectl-knapp --help: %v\n%s", err, out)
	}
}

// extract writes the archive's file name to dst.
func extract(t *testing.T, archive, name, dst string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s holds no %s", archive, name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != name {
			continue
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
		return
	}
}
