package resources

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
)

func TestMakePingSourceGolden(t *testing.T) {
	tests := []struct {
		name     string
		schedule v1alpha1.Schedule
	}{{
		name:     "pingsource-defaults",
		schedule: v1alpha1.Schedule{Name: "nightly", Schedule: "0 3 * * *"},
	}, {
		name: "pingsource-timezone-contenttype-data",
		schedule: v1alpha1.Schedule{
			Name:        "report",
			Schedule:    "30 8 * * mon-fri",
			Timezone:    "Europe/Berlin",
			ContentType: "text/plain; charset=utf-8",
			Data:        "weekly report\nfor team-a",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newApp(func(a *v1alpha1.App) { a.Spec.Schedules = []v1alpha1.Schedule{tc.schedule} })
			if errs := v1alpha1.ValidateSchedules(app.Spec.Schedules, field.NewPath("spec", "schedules")); len(errs) > 0 {
				t.Fatalf("test schedule is invalid: %v", errs)
			}
			assertGolden(t, tc.name, MakePingSource(app, tc.schedule))
		})
	}
}

func TestMakePingSource(t *testing.T) {
	app := newApp()
	ps := MakePingSource(app, v1alpha1.Schedule{Name: "nightly", Schedule: "@daily", Data: `{"task":"cleanup"}`})

	if ps.Name != "shop-nightly" || ps.Namespace != app.Namespace {
		t.Errorf("name = %s/%s, want team-a/shop-nightly", ps.Namespace, ps.Name)
	}
	if got := ps.GroupVersionKind(); got != PingSourceGVK {
		t.Errorf("GVK = %v, want %v", got, PingSourceGVK)
	}
	if ps.Labels[v1alpha1.LabelApp] != "shop" || ps.Labels[ScheduleLabel] != "nightly" || len(ps.Labels) != 2 {
		t.Errorf("labels = %v, want %s: shop and %s: nightly", ps.Labels, v1alpha1.LabelApp, ScheduleLabel)
	}
	if len(ps.OwnerReferences) != 1 || !equality.Semantic.DeepEqual(ps.OwnerReferences[0], ownerReference(app)) {
		t.Errorf("ownerReferences = %+v, want the App as controller", ps.OwnerReferences)
	}
	ref := ps.Spec.Sink.Ref
	if ref == nil || ref.APIVersion != "serving.knative.dev/v1" || ref.Kind != "Service" || ref.Name != names.KnativeService(app) || ref.Namespace != "" {
		t.Errorf("sink.ref = %+v, want the App's Knative Service in the PingSource's namespace", ref)
	}
	if ps.Spec.Sink.URI != nil {
		t.Errorf("sink.uri = %v, want none", ps.Spec.Sink.URI)
	}
	if ps.Spec.ContentType != "application/json" || ps.Spec.Timezone != "UTC" || ps.Spec.Schedule != "@daily" || ps.Spec.Data != `{"task":"cleanup"}` {
		t.Errorf("spec = %+v", ps.Spec)
	}

	// Status is Eventing's: knapp never writes it.
	raw, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), `"status"`) {
		t.Errorf("JSON has a status: %s", raw)
	}
}

// PingSource serialises as Eventing's sources.knative.dev/v1 PingSource: the
// field names below are Eventing's JSON names.
func TestPingSourceJSON(t *testing.T) {
	ps := MakePingSource(newApp(), v1alpha1.Schedule{Name: "n", Schedule: "* * * * *", Timezone: "UTC", ContentType: "text/plain", Data: "x"})
	raw, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	spec := got["spec"].(map[string]any)
	for _, key := range []string{"schedule", "timezone", "contentType", "data", "sink"} {
		if _, ok := spec[key]; !ok {
			t.Errorf("spec has no %q: %s", key, raw)
		}
	}
	ref := spec["sink"].(map[string]any)["ref"].(map[string]any)
	if ref["apiVersion"] != "serving.knative.dev/v1" || ref["kind"] != "Service" || ref["name"] != "shop" {
		t.Errorf("sink.ref = %v", ref)
	}
	if got["apiVersion"] != "sources.knative.dev/v1" || got["kind"] != "PingSource" {
		t.Errorf("apiVersion, kind = %v, %v", got["apiVersion"], got["kind"])
	}

	// And reads back into the same object, status and all.
	ps.Status.ObservedGeneration = 3
	raw, _ = json.Marshal(ps)
	back := &PingSource{}
	if err := json.Unmarshal(raw, back); err != nil {
		t.Fatal(err)
	}
	if !equality.Semantic.DeepEqual(ps, back) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, ps)
	}
}

func TestPingSourceDeepCopy(t *testing.T) {
	ps := MakePingSource(newApp(), v1alpha1.Schedule{Name: "nightly", Schedule: "0 3 * * *"})
	cp := ps.DeepCopyObject().(*PingSource)
	if !equality.Semantic.DeepEqual(ps, cp) {
		t.Fatalf("copy differs: %+v", cp)
	}
	cp.Labels[ScheduleLabel] = "changed"
	cp.Spec.Sink.Ref.Name = "changed"
	cp.OwnerReferences[0].Name = "changed"
	if ps.Labels[ScheduleLabel] != "nightly" || ps.Spec.Sink.Ref.Name != "shop" || ps.OwnerReferences[0].Name != "shop" {
		t.Errorf("changing the copy changed the original: %+v", ps)
	}

	list := &PingSourceList{Items: []PingSource{*ps}}
	lcp := list.DeepCopyObject().(*PingSourceList)
	lcp.Items[0].Spec.Sink.Ref.Name = "changed"
	if list.Items[0].Spec.Sink.Ref.Name != "shop" {
		t.Error("changing the list's copy changed the original")
	}
	if (*PingSource)(nil).DeepCopy() != nil || (*PingSourceList)(nil).DeepCopy() != nil {
		t.Error("DeepCopy of nil is not nil")
	}
}

func TestAddPingSourceToScheme(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddPingSourceToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []runtime.Object{&PingSource{}, &PingSourceList{}} {
		gvks, _, err := s.ObjectKinds(obj)
		if err != nil || len(gvks) != 1 || gvks[0].GroupVersion() != PingSourceGVK.GroupVersion() {
			t.Errorf("ObjectKinds(%T) = %v, %v", obj, gvks, err)
		}
	}
	if gvks, _, _ := s.ObjectKinds(&PingSource{}); len(gvks) == 1 && gvks[0] != PingSourceGVK {
		t.Errorf("PingSource's kind = %v, want %v", gvks[0], PingSourceGVK)
	}
}

func TestPingSourceName(t *testing.T) {
	app := func(name string) *v1alpha1.App {
		return newApp(func(a *v1alpha1.App) { a.Name = name })
	}
	long49 := "a-very-long-application-name-that-has-49-chars-xx"
	if len(long49) != 49 {
		t.Fatalf("len(long49) = %d", len(long49))
	}
	long40 := "a-schedule-name-of-exactly-forty-chars-x"
	if len(long40) != 40 {
		t.Fatalf("len(long40) = %d", len(long40))
	}

	tests := []struct {
		name, app, schedule, want string
	}{
		{name: "short", app: "shop", schedule: "nightly", want: "shop-nightly"},
		{name: "exactly 63", app: long49, schedule: "thirteen-char", want: long49 + "-thirteen-char"},
		// Longer than 63: kmeta.ChildName. These values are pinned: a change
		// would orphan every existing PingSource of such a schedule.
		{name: "64: App name cut, hash of the App name, schedule kept", app: long49, schedule: "fourteen-chars",
			want: "a-very-long-apple5ad0d41e8112afd1b3c527b3bf39334-fourteen-chars"},
		{name: "longest names: App name cut, hash of both", app: long49, schedule: long40,
			want: "a-very-long-application-name-th0238d76be66d5431cddd92bdd008f918"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := PingSourceName(app(tc.app), tc.schedule)
			if got != tc.want {
				t.Errorf("PingSourceName(%q, %q) = %q, want %q", tc.app, tc.schedule, got, tc.want)
			}
			if msgs := validation.IsDNS1123Label(got); len(msgs) > 0 {
				t.Errorf("%q is not a DNS-1123 label: %v", got, msgs)
			}
		})
	}

	// Every length the CRD allows gives a DNS-1123 label, <app>-<schedule>
	// itself whenever that fits, and different names for different
	// schedules of an App and for Apps that share a long prefix.
	t.Run("all lengths", func(t *testing.T) {
		seen := map[string]string{}
		for _, appBase := range []string{strings.Repeat("ab-", 17), strings.Repeat("x", 49)} {
			for al := 1; al <= 49; al++ {
				appName := strings.TrimRight(appBase[:al], "-")
				for sl := 1; sl <= 40; sl++ {
					schedule := strings.TrimRight(strings.Repeat("s-", 20)[:sl], "-")
					got := PingSourceName(app(appName), schedule)
					if msgs := validation.IsDNS1123Label(got); len(msgs) > 0 {
						t.Fatalf("PingSourceName(%q, %q) = %q: %v", appName, schedule, got, msgs)
					}
					if plain := appName + "-" + schedule; len(plain) <= 63 && got != plain {
						t.Fatalf("PingSourceName(%q, %q) = %q, want %q", appName, schedule, got, plain)
					}
					if got != PingSourceName(app(appName), schedule) {
						t.Fatalf("PingSourceName(%q, %q) is not stable", appName, schedule)
					}
					key := appName + "/" + schedule
					if other, ok := seen[got]; ok && other != key {
						t.Fatalf("%s and %s both name %q", other, key, got)
					}
					seen[got] = key
				}
			}
		}
	})
}
