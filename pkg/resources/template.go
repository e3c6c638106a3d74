package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources/names"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// MakeRevisionTemplate makes the Knative revision template of an App. Its
// name is derived from its content, so the same content always makes the
// same revision name: release.stable can name revisions, and reverting the
// template rolls back to the revision Knative already has. builtImage, the
// image of the App's newest successful build, wins over spec.image.
func MakeRevisionTemplate(app *v1alpha1.App, env platform.Environment, builtImage string) (servingv1.RevisionTemplateSpec, error) {
	containers, err := makeContainers(app, builtImage)
	if err != nil {
		return servingv1.RevisionTemplateSpec{}, err
	}
	initContainers, err := makeInitContainers(app)
	if err != nil {
		return servingv1.RevisionTemplateSpec{}, err
	}
	t := &app.Spec.Template
	// The App's own keys first: knapp's win (reserved prefixes are refused
	// by validation anyway).
	labels := maps.Clone(t.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1alpha1.LabelApp] = app.Name
	if app.Spec.Logs != nil {
		labels[v1alpha1.LabelLogs] = "true"
	}
	annotations := maps.Clone(t.Annotations)
	if scaling := ScalingAnnotations(app, env); len(scaling) > 0 {
		if annotations == nil {
			annotations = map[string]string{}
		}
		maps.Copy(annotations, scaling)
	}
	tmpl := servingv1.RevisionTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels:      labels,
			Annotations: annotations,
		},
		Spec: servingv1.RevisionSpec{
			PodSpec: corev1.PodSpec{
				ServiceAccountName: t.ServiceAccountName,
				Containers:         containers,
				InitContainers:     initContainers,
				Affinity:           t.Affinity,
				Volumes:            makeVolumes(t.Volumes),
				ImagePullSecrets:   t.ImagePullSecrets,
				SecurityContext:    t.SecurityContext,
				NodeSelector:       t.NodeSelector,
				Tolerations:        t.Tolerations,
				PriorityClassName:  t.PriorityClassName,
				RuntimeClassName:   t.RuntimeClassName,

				TopologySpreadConstraints: t.TopologySpreadConstraints,
				SchedulerName:             t.SchedulerName,
				DNSPolicy:                 t.DNSPolicy,
				DNSConfig:                 t.DNSConfig,
				HostAliases:               t.HostAliases,
			},
			ContainerConcurrency: app.Spec.Template.ContainerConcurrency,
			TimeoutSeconds:       app.Spec.Template.TimeoutSeconds,

			ResponseStartTimeoutSeconds: app.Spec.Template.ResponseStartTimeoutSeconds,
			IdleTimeoutSeconds:          app.Spec.Template.IdleTimeoutSeconds,
		},
	}
	hash, err := contentHash(tmpl)
	if err != nil {
		return servingv1.RevisionTemplateSpec{}, err
	}
	tmpl.Name = names.Revision(app, hash)
	return tmpl, nil
}

// contentHash hashes the template as JSON (Go writes map keys in order, so
// equal content gives equal bytes), before its name is set.
func contentHash(tmpl servingv1.RevisionTemplateSpec) (string, error) {
	data, err := json.Marshal(tmpl)
	if err != nil {
		return "", fmt.Errorf("hashing the revision template: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// makeInitContainers are the App's init containers; nil without any, so
// the revision names of Apps without them stay as they were.
func makeInitContainers(app *v1alpha1.App) ([]corev1.Container, error) {
	var out []corev1.Container
	for i, c := range app.Spec.Template.InitContainers {
		p := field.NewPath("spec", "template", "initContainers").Index(i).Child("image")
		if errs := v1alpha1.ValidateInitContainerImage(&c, p); len(errs) > 0 {
			return nil, specErrorFromFieldErrors(errs)
		}
		out = append(out, makeContainer(c, c.Image))
	}
	return out, nil
}

func makeContainers(app *v1alpha1.App, builtImage string) ([]corev1.Container, error) {
	specs := app.Spec.Template.Containers
	if len(specs) == 0 {
		specs = []v1alpha1.Container{{}}
	}
	out := make([]corev1.Container, 0, len(specs))
	for i, c := range specs {
		imagePath := field.NewPath("spec", "template", "containers").Index(i).Child("image")
		if errs := v1alpha1.ValidateContainerImage(&c, i, imagePath); len(errs) > 0 {
			return nil, specErrorFromFieldErrors(errs)
		}
		// A sidecar names its image, which the rule above checked; the
		// app's own container runs the image chosen here.
		image := c.Image
		if i == 0 {
			switch {
			case builtImage != "":
				image, imagePath = builtImage, field.NewPath("status", "build", "image")
			case app.Spec.Image != "":
				image, imagePath = app.Spec.Image, field.NewPath("spec", "image")
			case app.Spec.Build != nil:
				return nil, &SpecError{Reason: v1alpha1.ReasonWaitingForBuild, Field: "spec.build",
					Detail: "no image to run yet: the first build has not succeeded (set spec.image to run an image meanwhile)"}
			default:
				return nil, &SpecError{Reason: v1alpha1.ReasonImageMissing, Field: "spec.image",
					Detail: "no image to run: set spec.image, or spec.build to build one"}
			}
			if errs := v1alpha1.ValidateImage(image, imagePath); len(errs) > 0 {
				return nil, specErrorFromFieldErrors(errs)
			}
		}
		out = append(out, makeContainer(c, image))
	}
	return out, nil
}

func makeContainer(c v1alpha1.Container, image string) corev1.Container {
	out := corev1.Container{
		Name:           c.Name,
		Image:          image,
		Command:        c.Command,
		Args:           c.Args,
		WorkingDir:     c.WorkingDir,
		Env:            c.Env,
		EnvFrom:        c.EnvFrom,
		Ports:          c.Ports,
		ReadinessProbe: c.ReadinessProbe,
		LivenessProbe:  c.LivenessProbe,
		StartupProbe:   c.StartupProbe,

		VolumeMounts:    c.VolumeMounts,
		SecurityContext: c.SecurityContext,
	}
	if c.Resources != nil {
		out.Resources = *c.Resources
	}
	return out
}

// makeVolumes turns the App's volumes into the pod's.
func makeVolumes(vols []v1alpha1.Volume) []corev1.Volume {
	if len(vols) == 0 {
		return nil
	}
	out := make([]corev1.Volume, 0, len(vols))
	for _, v := range vols {
		out = append(out, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
			ConfigMap:             v.ConfigMap,
			Secret:                v.Secret,
			Projected:             v.Projected,
			EmptyDir:              v.EmptyDir,
			PersistentVolumeClaim: v.PersistentVolumeClaim,
		}})
	}
	return out
}
