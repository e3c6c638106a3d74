package stack

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

// knapp's admission webhooks run against a local control plane as on a
// cluster, from the configurations in config/webhook (testenv's
// WithWebhookConfigs): knapp serves them on a local port with the control
// plane's serving certificate, and the webhook server the apiserver already
// calls (testenv's, at the URL envtest put into those configurations) passes
// knapp's paths on to it.
var knappWebhookPaths = []string{podlogs.Path, appvalidation.ValidatePath, appvalidation.DefaultPath}

// KnappWebhooks is where knapp serves its webhooks in dev.
type KnappWebhooks struct {
	Port    int
	CertDir string
}

// Args are knapp's flags to serve there.
func (w KnappWebhooks) Args() []string {
	return []string{"--webhook-port=" + strconv.Itoa(w.Port), "--webhook-cert-dir=" + w.CertDir}
}

// ProxyKnappWebhooks picks a free port for knapp's webhook server and makes
// env's webhook server pass knapp's paths on to it.
func ProxyKnappWebhooks(env *testenv.Env) (KnappWebhooks, error) {
	certDir, caPEM := env.WebhookServingCert()
	port, err := FreePort()
	if err != nil {
		return KnappWebhooks{}, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return KnappWebhooks{}, errors.New("the control plane's webhook CA does not parse")
	}
	target := &url.URL{Scheme: "https", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}}
	for _, p := range knappWebhookPaths {
		env.Register(p, proxy)
	}
	return KnappWebhooks{Port: port, CertDir: certDir}, nil
}

// WaitUntilServing waits until knapp's webhook server accepts connections,
// so that nothing the webhooks admit is written before they can answer.
func (w KnappWebhooks) WaitUntilServing(ctx context.Context, knapp *Process, timeout time.Duration) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(w.Port))
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-knapp.Exited():
			return knapp.ExitError()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("knapp's webhook server is not serving on %s after %s: %w", addr, timeout, err)
		}
	}
}
