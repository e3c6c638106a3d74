package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"knapp.dev/knapp/test/testenv"
	"knapp.dev/knapp/webhooks/appvalidation"
	"knapp.dev/knapp/webhooks/podlogs"
)

// knapp's admission webhooks run in make dev as on a cluster, from the
// configurations in config/webhook: knapp serves them on a local port with
// the control plane's serving certificate, and the webhook server the
// apiserver already calls (testenv's, at the URL envtest put into those
// configurations) passes knapp's paths on to it.
var knappWebhookPaths = []string{podlogs.Path, appvalidation.ValidatePath, appvalidation.DefaultPath}

// knappWebhooks is where knapp serves its webhooks in dev.
type knappWebhooks struct {
	port    int
	certDir string
}

// args are knapp's flags to serve there.
func (w knappWebhooks) args() []string {
	return []string{"--webhook-port=" + strconv.Itoa(w.port), "--webhook-cert-dir=" + w.certDir}
}

// proxyKnappWebhooks picks a free port for knapp's webhook server and makes
// env's webhook server pass knapp's paths on to it.
func proxyKnappWebhooks(env *testenv.Env) (knappWebhooks, error) {
	certDir, caPEM := env.WebhookServingCert()
	port, err := freePort()
	if err != nil {
		return knappWebhooks{}, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return knappWebhooks{}, errors.New("the control plane's webhook CA does not parse")
	}
	target := &url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	for _, p := range knappWebhookPaths {
		env.Register(p, proxy)
	}
	return knappWebhooks{port: port, certDir: certDir}, nil
}

// waitUntilServing waits until knapp's webhook server accepts connections,
// so that nothing the webhooks admit is written before they can answer.
func (w knappWebhooks) waitUntilServing(ctx context.Context, knapp *process, timeout time.Duration) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(w.port))
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-knapp.exited:
			return knapp.exitError()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("knapp's webhook server is not serving on %s after %s: %w", addr, timeout, err)
		}
	}
}
