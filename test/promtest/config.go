package promtest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"
)

// Job is the scrape job of every target, the job label the default
// queries join target_info on.
const Job = "queue-proxy"

const (
	configFile  = "prometheus.yml"
	targetsFile = "targets.json"
	dataDir     = "data"
	logFile     = "prometheus.log"
)

// writeConfig writes prometheus.yml. Targets come from a file_sd file, not
// static_configs, so AddTargets can add a revision to a running server
// without a reload; file_sd watches the file (refresh_interval is the
// fallback should a change event be missed). The scrape timeout equals the
// interval: Prometheus refuses a longer one.
func writeConfig(dir string, interval time.Duration) error {
	iv := model.Duration(interval).String()
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: %[2]s
    file_sd_configs:
      - files: [%[3]q]
        refresh_interval: %[1]s
`, iv, Job, filepath.Join(dir, targetsFile))
	return os.WriteFile(filepath.Join(dir, configFile), []byte(cfg), 0o644)
}

// writeTargets replaces the file_sd file. It is written aside and renamed,
// so Prometheus never reads half of it.
func writeTargets(dir string, targets []string) error {
	groups := []map[string][]string{}
	if len(targets) > 0 {
		groups = append(groups, map[string][]string{"targets": targets})
	}
	data, err := json.Marshal(groups)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+targetsFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, targetsFile))
}
