package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// printApp shows the App's Knative Service as stored (after Knative's
// defaulting) and the App's status, the two things to look at in dev.
func printApp(r appResult, kubectl, kubeconfig string) {
	fmt.Printf("\n==> App %s\n", r.key)
	if r.problem != "" {
		fmt.Printf("NOT CONVERGED: %s\n", r.problem)
	}
	if r.service != nil {
		svc := r.service.DeepCopy()
		unstructured.RemoveNestedField(svc.Object, "metadata", "managedFields")
		out, err := yaml.Marshal(svc.Object)
		if err != nil {
			out = []byte(err.Error() + "\n")
		}
		fmt.Printf("\n--- Knative Service %s/%s (managedFields left out)\n%s", svc.GetNamespace(), svc.GetName(), out)
	}
	if r.app == nil {
		return
	}
	if _, err := os.Stat(kubectl); err == nil {
		fmt.Printf("\n--- kubectl get app -n %s %s\n", r.key.Namespace, r.key.Name)
		cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "get", "apps.knapp.dev", "-n", r.key.Namespace, r.key.Name)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		_ = cmd.Run() // its own output says what went wrong
	}
	fmt.Printf("\n--- conditions of App %s\n", r.key)
	printConditions(r.app)
}

// printConditions prints status.conditions as a table, the columns kubectl
// describe shows.
func printConditions(app *unstructured.Unstructured) {
	conds, _, _ := unstructured.NestedSlice(app.Object, "status", "conditions")
	if len(conds) == 0 {
		fmt.Println("(none)")
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TYPE\tSTATUS\tREASON\tMESSAGE")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		get := func(k string) string { s, _ := m[k].(string); return s }
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", get("type"), get("status"), get("reason"), get("message"))
	}
	_ = w.Flush()
}

// printHints prints commands to paste into another shell.
func printHints(kubeconfig, assetsDir string, apps []types.NamespacedName) {
	lines := []string{
		"export KUBECONFIG=" + kubeconfig,
		`export PATH="` + assetsDir + `:$PATH"   # kubectl matching the apiserver`,
		"kubectl get apps -A",
		"kubectl get ksvc -A",
	}
	for _, a := range apps {
		lines = append(lines,
			fmt.Sprintf("kubectl describe app -n %s %s", a.Namespace, a.Name),
			fmt.Sprintf("kubectl get ksvc -n %s -o yaml", a.Namespace))
	}
	fmt.Printf("\n==> dev environment running; Ctrl-C stops it. In another shell:\n\n    %s\n\n", strings.Join(lines, "\n    "))
}
