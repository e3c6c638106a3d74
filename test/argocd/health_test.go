// Package argocd tests what knapp ships for Argo CD: the App health check
// (config/argocd), run with gopher-lua the way Argo CD runs it.
package argocd

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"knapp.dev/knapp/api/v1alpha1"
)

const (
	scriptFile = "../../config/argocd/health.lua"
	cmFile     = "../../config/argocd/argocd-cm.yaml"
	healthKey  = "resource.customizations.health.knapp.dev_App"
)

// healthStatus is Argo CD's health.HealthStatus as a script returns it.
type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// runHealth runs script with obj as Argo CD's lua.VM does (util/lua): only
// the package, base and table libraries, a one-second budget, the object
// decoded into Lua tables, and the returned table read back as JSON.
func runHealth(t *testing.T, script string, obj map[string]any) healthStatus {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.LoadLibName: lua.OpenPackage,
		lua.BaseLibName: lua.OpenBase,
		lua.TabLibName:  lua.OpenTable,
	} {
		l.Push(l.NewFunction(open))
		l.Push(lua.LString(name))
		l.Call(1, 0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decodeValue(l, obj))
	if err := l.DoString(script); err != nil {
		t.Fatalf("health.lua: %v", err)
	}
	table, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health.lua returned %s, want a table", l.Get(-1).Type())
	}
	var hs healthStatus
	hs.Status = lua.LVAsString(table.RawGetString("status"))
	hs.Message = lua.LVAsString(table.RawGetString("message"))
	switch hs.Status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		t.Fatalf("health.lua returned status %q, which Argo CD does not know", hs.Status)
	}
	return hs
}

// decodeValue is Argo CD's conversion of an unstructured object to Lua.
func decodeValue(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

func readScript(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(scriptFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// app is an App at generation 3 with the given status.
func app(t *testing.T, status v1alpha1.AppStatus) map[string]any {
	t.Helper()
	a := &v1alpha1.App{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "App"},
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "team-a", Generation: 3},
		Spec:       v1alpha1.AppSpec{Image: "registry.example.com/shop:1"},
		Status:     status,
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(a)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func ready(status metav1.ConditionStatus, reason, message string) []metav1.Condition {
	return []metav1.Condition{
		{Type: v1alpha1.ConditionServiceReady, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.Now()},
		{Type: v1alpha1.ConditionReady, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.Now()},
	}
}

func TestHealth(t *testing.T) {
	script := readScript(t)
	tests := []struct {
		name        string
		status      v1alpha1.AppStatus
		wantStatus  string
		wantMessage string
	}{{
		name:        "no status yet",
		wantStatus:  "Progressing",
		wantMessage: "Waiting for knapp to observe generation 3",
	}, {
		name: "an older generation observed, even if it was ready",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 2,
			Conditions:         ready(metav1.ConditionTrue, v1alpha1.ReasonReady, "The App is ready."),
		},
		wantStatus:  "Progressing",
		wantMessage: "Waiting for knapp to observe generation 3",
	}, {
		name:        "observed, no conditions",
		status:      v1alpha1.AppStatus{ObservedGeneration: 3},
		wantStatus:  "Progressing",
		wantMessage: "Waiting for knapp to reconcile the App",
	}, {
		name: "deploying",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			Conditions:         ready(metav1.ConditionUnknown, v1alpha1.ReasonDeploying, "Waiting for Knative."),
		},
		wantStatus:  "Progressing",
		wantMessage: "Deploying: Waiting for Knative.",
	}, {
		name: "a domain conflict",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			Conditions:         ready(metav1.ConditionFalse, v1alpha1.ReasonDomainConflict, "team-b/shop holds shop.example.com."),
		},
		wantStatus:  "Degraded",
		wantMessage: "DomainConflict: team-b/shop holds shop.example.com.",
	}, {
		name: "ready, with its URL",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			URL:                "https://shop.sls-prod.example.com",
			Conditions:         ready(metav1.ConditionTrue, v1alpha1.ReasonReady, "The App is ready."),
		},
		wantStatus:  "Healthy",
		wantMessage: "The App is ready. https://shop.sls-prod.example.com",
	}, {
		name: "a progressive release climbing its steps",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			Conditions:         ready(metav1.ConditionUnknown, v1alpha1.ReasonProgressing, "Step 2/3: revision shop-2 takes 10% (stable shop-1)."),
			Rollout:            &v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutProgressing, Step: 2, Percent: 10},
		},
		wantStatus:  "Progressing",
		wantMessage: "Progressing: Step 2/3: revision shop-2 takes 10% (stable shop-1).",
	}, {
		name: "a paused progressive release",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			Conditions:         ready(metav1.ConditionUnknown, v1alpha1.ReasonPaused, "Paused at step 2/3."),
			Rollout:            &v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutPaused, Step: 2, Percent: 10, Message: "Paused at step 2/3."},
		},
		wantStatus:  "Suspended",
		wantMessage: "Paused at step 2/3.",
	}, {
		name: "a rolled-back progressive release",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 3,
			Conditions:         ready(metav1.ConditionFalse, v1alpha1.ReasonRolledBack, "Rolled back: successRate 80% (threshold >= 99%)."),
			Rollout:            &v1alpha1.RolloutStatus{Phase: v1alpha1.RolloutRolledBack, Step: 2},
		},
		wantStatus:  "Degraded",
		wantMessage: "RolledBack: Rolled back: successRate 80% (threshold >= 99%).",
	}, {
		name: "a newer generation observed than the object's (a stale read)",
		status: v1alpha1.AppStatus{
			ObservedGeneration: 4,
			Conditions:         ready(metav1.ConditionTrue, v1alpha1.ReasonReady, "The App is ready."),
		},
		wantStatus:  "Healthy",
		wantMessage: "The App is ready.",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHealth(t, script, app(t, tt.status))
			if got.Status != tt.wantStatus || got.Message != tt.wantMessage {
				t.Errorf("health = %+v, want {Status:%s Message:%s}", got, tt.wantStatus, tt.wantMessage)
			}
		})
	}
}

// TestHealthWithoutStatus: an App just applied has no status at all.
func TestHealthWithoutStatus(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"name": "shop", "generation": int64(1)}}
	if got := runHealth(t, readScript(t), obj); got.Status != "Progressing" || got.Message != "Waiting for knapp to reconcile the App" {
		t.Errorf("health = %+v, want Progressing, waiting for knapp", got)
	}
}

// TestHealthOfObjectsArgoCDMaySend: Argo CD also runs the check on objects
// without metadata.generation or with conditions lacking a reason; the
// script must answer, not fail.
func TestHealthOfObjectsArgoCDMaySend(t *testing.T) {
	script := readScript(t)
	obj := map[string]any{
		"metadata": map[string]any{"name": "shop"},
		"status": map[string]any{
			"conditions": []any{map[string]any{"type": "Ready", "status": "False"}},
		},
	}
	if got := runHealth(t, script, obj); got.Status != "Degraded" || got.Message != ": " {
		t.Errorf("health = %+v, want Degraded with an empty reason and message", got)
	}
}

// TestConfigMapCarriesTheScript: the argocd-cm snippet users merge is the
// tested script, under the key Argo CD looks up for knapp.dev/App.
func TestConfigMapCarriesTheScript(t *testing.T) {
	data, err := os.ReadFile(cmFile)
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatal(err)
	}
	got, ok := cm.Data[healthKey]
	if !ok {
		keys, _ := json.Marshal(cm.Data)
		t.Fatalf("%s has no key %s (keys: %s)", cmFile, healthKey, keys)
	}
	if strings.TrimSpace(got) != strings.TrimSpace(readScript(t)) {
		t.Errorf("%s's %s differs from %s; copy the script into the snippet", cmFile, healthKey, scriptFile)
	}
}
