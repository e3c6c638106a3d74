package resources

// Typed or unstructured PingSource: a minimal typed struct of knapp's own.
//
// Knative Eventing's typed sourcesv1.PingSource was measured against HEAD's
// go.mod (go 1.26.8; knative.dev/eventing v0.50.0 builds with the same
// knative.dev/pkg as knapp):
//   - `go get knative.dev/eventing/pkg/apis/sources/v1@v0.50.0` changes no
//     existing require but adds 16 lines to go.mod: 6 new modules
//     (knative.dev/eventing, cloudevents sdk-go/v2 and sdk-go/sql/v2, antlr4,
//     rickb777/date and rickb777/plural) and 10 modules of the graph that
//     become requirements (5 OpenTelemetry, robfig/cron/v3, golang-lru,
//     envconfig, stdr, httpsnoop).
//   - `go build ./cmd/knapp` grows from 62,766,717 to 79,870,136 bytes
//     (+17.1 MB, +98 packages) with sourcesv1.AddToScheme in the manager's
//     scheme, and to 79,833,616 bytes (+17.1 MB) when it only uses the type:
//     the package pulls in Eventing's CloudEvents SDK, its CEL/ANTLR filter
//     parser and OpenTelemetry, whatever knapp calls.
//
// That is far beyond the ~5 MB budget, so knapp declares the few fields it
// writes. The sink and status reuse knative.dev/pkg's duck types, already
// compiled into knapp for Knative Serving, so they serialise exactly as
// Eventing's own types do. TestKnativeAdmission in test/testenv stores one
// through Eventing's real CRD (v0.50.0).

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"knative.dev/pkg/kmeta"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/resources/names"
)

// ScheduleLabel names the schedule of the App (v1alpha1.LabelApp) a
// PingSource sends.
const ScheduleLabel = "knapp.dev/schedule"

// PingSourceGroupVersion is Knative Eventing's sources.knative.dev/v1.
var PingSourceGroupVersion = schema.GroupVersion{Group: "sources.knative.dev", Version: "v1"}

// PingSourceGVK is the kind of PingSource.
var PingSourceGVK = PingSourceGroupVersion.WithKind("PingSource")

// PingSource is the part of Knative Eventing's sources.knative.dev/v1
// PingSource that knapp writes and reads.
type PingSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PingSourceSpec `json:"spec,omitempty"`
	// Status is Eventing's; knapp only reads it. omitzero keeps an empty
	// status out of what knapp writes.
	Status duckv1.SourceStatus `json:"status,omitzero"`
}

// PingSourceSpec is the PingSource's spec as knapp writes it; Eventing's
// dataBase64 and ceOverrides are left out.
type PingSourceSpec struct {
	// SourceSpec holds the sink.
	duckv1.SourceSpec `json:",inline"`

	// Schedule in cron syntax.
	Schedule string `json:"schedule,omitempty"`
	// Timezone as an IANA name; Eventing's adapter's own zone when empty.
	Timezone string `json:"timezone,omitempty"`
	// ContentType is the media type of Data.
	ContentType string `json:"contentType,omitempty"`
	// Data is the body of the event.
	Data string `json:"data,omitempty"`
}

// PingSourceList is a list of PingSources.
type PingSourceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PingSource `json:"items"`
}

// AddPingSourceToScheme registers PingSource and PingSourceList under
// sources.knative.dev/v1.
func AddPingSourceToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(PingSourceGroupVersion, &PingSource{}, &PingSourceList{})
	metav1.AddToGroupVersion(s, PingSourceGroupVersion)
	return nil
}

// PingSourceName is the name of the PingSource of an App's schedule:
// <app>-<schedule>. When that is longer than a DNS-1123 label allows (63;
// an App name has up to 49 characters, a schedule name up to 40),
// kmeta.ChildName, as Knative names its own children, shortens it to 63
// characters with an MD5 hash that keeps it unique and stable: the App's
// name cut short, the hash of the App's name, then -<schedule>; or, for a
// schedule name of 30 characters or more, the App's name cut to 31
// characters and the hash of both.
func PingSourceName(app *v1alpha1.App, schedule string) string {
	return kmeta.ChildName(app.Name, "-"+schedule)
}

// MakePingSource makes the PingSource that sends the App's schedule s to
// the App's Knative Service, owned by the App.
func MakePingSource(app *v1alpha1.App, s v1alpha1.Schedule) *PingSource {
	return &PingSource{
		TypeMeta: metav1.TypeMeta{APIVersion: PingSourceGVK.GroupVersion().String(), Kind: PingSourceGVK.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PingSourceName(app, s.Name),
			Namespace: app.Namespace,
			Labels: map[string]string{
				v1alpha1.LabelApp: app.Name,
				ScheduleLabel:     s.Name,
			},
			OwnerReferences: []metav1.OwnerReference{ownerReference(app)},
		},
		Spec: PingSourceSpec{
			SourceSpec: duckv1.SourceSpec{Sink: duckv1.Destination{Ref: &duckv1.KReference{
				APIVersion: servingv1.SchemeGroupVersion.String(),
				Kind:       "Service",
				Name:       names.KnativeService(app),
			}}},
			Schedule:    s.Schedule,
			Timezone:    s.TimezoneOrDefault(),
			ContentType: s.ContentTypeOrDefault(),
			Data:        s.Data,
		},
	}
}

// DeepCopyInto copies p into out.
func (p *PingSource) DeepCopyInto(out *PingSource) {
	*out = *p
	out.TypeMeta = p.TypeMeta
	p.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	p.Spec.DeepCopyInto(&out.Spec)
	p.Status.DeepCopyInto(&out.Status)
}

// DeepCopy returns a copy of p.
func (p *PingSource) DeepCopy() *PingSource {
	if p == nil {
		return nil
	}
	out := new(PingSource)
	p.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (p *PingSource) DeepCopyObject() runtime.Object {
	if c := p.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies s into out.
func (s *PingSourceSpec) DeepCopyInto(out *PingSourceSpec) {
	*out = *s
	s.SourceSpec.DeepCopyInto(&out.SourceSpec)
}

// DeepCopyInto copies l into out.
func (l *PingSourceList) DeepCopyInto(out *PingSourceList) {
	*out = *l
	out.TypeMeta = l.TypeMeta
	l.ListMeta.DeepCopyInto(&out.ListMeta)
	if l.Items != nil {
		out.Items = make([]PingSource, len(l.Items))
		for i := range l.Items {
			l.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy returns a copy of l.
func (l *PingSourceList) DeepCopy() *PingSourceList {
	if l == nil {
		return nil
	}
	out := new(PingSourceList)
	l.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (l *PingSourceList) DeepCopyObject() runtime.Object {
	if c := l.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// PingSourceOwnedLabelKeys are the label keys knapp manages on a
// PingSource; every other key belongs to someone else and is kept.
var PingSourceOwnedLabelKeys = []string{v1alpha1.LabelApp, ScheduleLabel}
