package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/test/stack"
)

// printApp shows the App's Knative Service as stored (after Knative's
// defaulting) and the App's status, the two things to look at in dev.
func printApp(r appResult, kubectl, kubeconfig string) {
	fmt.Printf("\n==> App %s\n", r.key)
	if r.problem != "" {
		fmt.Printf("NOT CONVERGED: %s\n", r.problem)
	}
	if r.note != "" {
		fmt.Println(r.note)
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
	if r.service != nil && r.revisions != nil {
		printKnativeObjects(r, kubectl, kubeconfig)
	}
	if r.app == nil {
		return
	}
	runKubectl(kubectl, kubeconfig, "get", "apps.knapp.dev", "-n", r.key.Namespace, r.key.Name)
	fmt.Printf("\n--- conditions of App %s\n", r.key)
	printConditions(r.app)
}

// printKnativeObjects shows what Knative's controller made of the Service:
// its Configuration, Route and Revisions, and the newest Revision's
// conditions.
func printKnativeObjects(r appResult, kubectl, kubeconfig string) {
	runKubectl(kubectl, kubeconfig, "get", "configurations,routes,revisions", "-n", r.key.Namespace,
		"-l", "serving.knative.dev/service="+r.service.GetName())
	if n := len(r.revisions); n > 0 {
		newest := &r.revisions[n-1]
		fmt.Printf("\n--- conditions of Revision %s/%s\n", newest.GetNamespace(), newest.GetName())
		printConditions(newest)
	}
}

// runKubectl prints a kubectl command and its output, if kubectl is there.
func runKubectl(kubectl, kubeconfig string, args ...string) {
	if _, err := os.Stat(kubectl); err != nil {
		return
	}
	fmt.Printf("\n--- kubectl %s\n", strings.Join(args, " "))
	cmd := exec.Command(kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	_ = cmd.Run() // its own output says what went wrong
}

// printConditions prints an object's status.conditions as a table, the
// columns kubectl describe shows.
func printConditions(obj *unstructured.Unstructured) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
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
func printHints(kubeconfig, assetsDir string, apps []types.NamespacedName, procs []*stack.Process) {
	// run.sh builds the plugin into the repository's bin/ and runs this
	// program from the repository's root.
	plugins := "bin"
	if wd, err := os.Getwd(); err == nil {
		plugins = filepath.Join(wd, "bin")
	}
	lines := []string{
		"export KUBECONFIG=" + kubeconfig,
		`export PATH="` + plugins + ":" + assetsDir + `:$PATH"   # kubectl knapp, and kubectl matching the apiserver`,
		"kubectl knapp get -A",
		"kubectl knapp console   # a web console of the Apps",
		"kubectl get ksvc,configurations,routes,revisions -A",
	}
	for _, p := range procs {
		if p.LogFile != "" {
			lines = append(lines, fmt.Sprintf("tail -f %s   # %s", p.LogFile, p.Name))
		}
	}
	for _, a := range apps {
		lines = append(lines,
			fmt.Sprintf("kubectl knapp describe -n %s %s", a.Namespace, a.Name),
			fmt.Sprintf("kubectl get ksvc -n %s -o yaml", a.Namespace))
	}
	fmt.Printf("\n==> dev environment running; Ctrl-C stops it. In another shell:\n\n    %s\n\n", strings.Join(lines, "\n    "))
}
