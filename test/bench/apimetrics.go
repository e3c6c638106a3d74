package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// writeVerbs are apiserver_request_total's verbs that write.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true, "DELETECOLLECTION": true}

// apiMetrics reads the apiserver's own request counters from its /metrics.
type apiMetrics struct {
	hc  *http.Client
	url string
}

func newAPIMetrics(cfg *rest.Config) (*apiMetrics, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return &apiMetrics{hc: hc, url: strings.TrimSuffix(cfg.Host, "/") + "/metrics"}, nil
}

const requestTotal = "apiserver_request_total{"

// writes sums apiserver_request_total over the write verbs, by group,
// resource, subresource and verb; refused are those of them answered with
// an error code (4xx, 5xx). Only those lines are parsed: the whole
// exposition is megabytes of histograms.
func (m *apiMetrics) writes(ctx context.Context) (all, refused writeCounts, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("scraping the apiserver's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("scraping the apiserver's metrics: %s", resp.Status)
	}
	all, refused = writeCounts{}, writeCounts{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, requestTotal) {
			continue
		}
		labels, value, err := parseSample(line[len(requestTotal):])
		if err != nil {
			return nil, nil, fmt.Errorf("apiserver metrics: %w in %q", err, line)
		}
		if !writeVerbs[labels["verb"]] {
			continue
		}
		k := writeKey{Group: labels["group"], Resource: labels["resource"], Subresource: labels["subresource"], Verb: labels["verb"]}
		all[k] += value
		if code := labels["code"]; code >= "400" {
			refused[k] += value
		}
	}
	return all, refused, sc.Err()
}

// parseSample reads `a="x",b="y"} 12` (the text after the metric's brace):
// the labels and the value. Label values are Go-style quoted strings.
func parseSample(s string) (map[string]string, float64, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, ", ")
		if strings.HasPrefix(s, "}") {
			break
		}
		name, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, 0, fmt.Errorf("no '=' after a label name")
		}
		quoted, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, 0, fmt.Errorf("label %s: %w", name, err)
		}
		if labels[name], err = strconv.Unquote(quoted); err != nil {
			return nil, 0, err
		}
		s = rest[len(quoted):]
	}
	fields := strings.Fields(s[1:])
	if len(fields) == 0 {
		return nil, 0, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	return labels, v, err
}
