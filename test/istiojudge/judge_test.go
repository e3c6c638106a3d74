package istiojudge

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"sigs.k8s.io/yaml"
)

// gateway is Knative's ingress gateway as net-istio installs it: every
// host on port 80, on the pods labelled istio: ingressgateway.
const gateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: knative-ingress-gateway
  namespace: knative-serving
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
`

// services are Knative's local gateway, which knapp's routes send to, and
// the ingress gateway's own Service and pod.
const services = `
apiVersion: v1
kind: Service
metadata:
  name: knative-local-gateway
  namespace: istio-system
spec:
  clusterIP: 10.0.0.10
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8081}
---
apiVersion: v1
kind: Service
metadata:
  name: istio-ingressgateway
  namespace: istio-system
spec:
  clusterIP: 10.0.0.11
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
`

const goldenDir = "../../pkg/resources/testdata"

// virtualService is the VirtualService of a builders' golden file, as YAML,
// or "" when the file holds none.
func virtualService(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		VirtualService map[string]any `json:"virtualService"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if doc.VirtualService == nil {
		return ""
	}
	// Status and owners are the apiserver's business, not Istio's.
	delete(doc.VirtualService, "status")
	if meta, ok := doc.VirtualService["metadata"].(map[string]any); ok {
		delete(meta, "ownerReferences")
	}
	out, err := yaml.Marshal(doc.VirtualService)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// gatewayRoutes are the routes Istio gives the ingress gateway for host.
func gatewayRoutes(t *testing.T, vs, host string) []*route.Route {
	t.Helper()
	s := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		ConfigString:           gateway + "\n---\n" + vs,
		KubernetesObjectString: services,
	})
	proxy := s.SetupProxy(&model.Proxy{
		Type:            model.Router,
		ConfigNamespace: "istio-system",
		Labels:          map[string]string{"istio": "ingressgateway"},
		Metadata:        &model.NodeMetadata{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}},
	})
	var hosts []string
	for _, rc := range s.Routes(proxy) {
		for _, vh := range rc.VirtualHosts {
			for _, d := range vh.Domains {
				if d == host || strings.HasPrefix(d, host+":") {
					return vh.Routes
				}
			}
			hosts = append(hosts, vh.Domains...)
		}
	}
	t.Fatalf("the gateway has no virtual host for %s; it has %v", host, hosts)
	return nil
}

// TestGatewayRoutesOfKnappsVirtualServices: for every golden file with a
// VirtualService, the gateway's routes for its host, described a line
// each, are those in testdata/<file>.routes (write them with -update).
func TestGatewayRoutesOfKnappsVirtualServices(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	judged := 0
	for _, file := range files {
		vs := virtualService(t, file)
		if vs == "" {
			continue
		}
		judged++
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			var parsed struct {
				Spec struct {
					Hosts []string `json:"hosts"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal([]byte(vs), &parsed); err != nil || len(parsed.Spec.Hosts) == 0 {
				t.Fatalf("VirtualService without hosts: %v", err)
			}
			var lines []string
			for _, r := range gatewayRoutes(t, vs, parsed.Spec.Hosts[0]) {
				lines = append(lines, describe(r))
			}
			got := strings.Join(lines, "\n") + "\n"
			assertGolden(t, name, got)
		})
	}
	if judged < 3 {
		t.Fatalf("judged %d VirtualServices; the golden files should hold the header, cookie, path and percent shapes", judged)
	}
}

// What the routes must do, beyond the golden lines: a request with a match
// rule's header or path reaches the canary's host through Knative's local
// gateway (so scale-from-zero still works), the path rewrite is kept, and
// everything else reaches the App's own host, last, never before a rule.
func TestCanaryRoutesComeFirstAndKeepScaleFromZero(t *testing.T) {
	vs := virtualService(t, filepath.Join(goldenDir, "routing-header-and-path-with-percent.yaml"))
	routes := gatewayRoutes(t, vs, "shop.sls-local.knapp.example.com")
	if len(routes) != 4 {
		t.Fatalf("want 3 canary routes and the split, got %d", len(routes))
	}
	const local = "outbound|80||knative-local-gateway.istio-system.svc.cluster.local"
	for i, r := range routes {
		a := r.GetRoute()
		if a == nil || a.GetCluster() != local {
			t.Errorf("route %d (%s) does not go to Knative's local gateway: %v", i, r.Name, r.GetAction())
			continue
		}
		wantHost := "canary-shop.team-a.svc.cluster.local"
		if i == len(routes)-1 {
			wantHost = "shop.team-a.svc.cluster.local"
		}
		if a.GetHostRewriteLiteral() != wantHost {
			t.Errorf("route %d (%s) rewrites the host to %q, want %q", i, r.Name, a.GetHostRewriteLiteral(), wantHost)
		}
	}
	first := routes[0]
	if first.GetMatch().GetPrefix() != "/beta/" || first.GetRoute().GetPrefixRewrite() != "/" || len(first.GetMatch().GetHeaders()) != 1 {
		t.Errorf("the first rule lost its path, header or rewrite: %s", describe(first))
	}
	last := routes[len(routes)-1]
	if last.Name != "split" || last.GetMatch().GetPrefix() != "/" || len(last.GetMatch().GetHeaders()) != 0 {
		t.Errorf("the last route is not the catch-all split: %s", describe(last))
	}
}
