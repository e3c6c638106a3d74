package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AppSpec is what a team asks for: an image (or a build that makes one), the
// pod it runs in, how it scales, its domain and how traffic is released.
//
// +kubebuilder:validation:XValidation:rule="has(self.image) || has(self.build)",message="set spec.image to an image reference, or spec.build to build one from git"
type AppSpec struct {
	// Image is the container image of the app's own container, such as
	// registry.example.com/team-a/shop:1.4.2 or repository@sha256:<digest>.
	// Leave it out when spec.build makes the image.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// Build makes the image from git with Argo Workflows.
	// +optional
	Build *BuildSpec `json:"build,omitempty"`

	// Template is the pod the app runs in: its containers' command, env,
	// ports, resources and probes. The first container is the app's own and
	// runs spec.image; further containers are sidecars and name their image.
	// +optional
	Template AppTemplate `json:"template,omitempty"`

	// Scaling bounds and drives Knative's autoscaler. Unset values come from
	// the namespace's environment (label knapp.dev/environment), then
	// Knative's own defaults.
	// +optional
	Scaling *Scaling `json:"scaling,omitempty"`

	// Domain chooses the app's host: <name>.sls-<cluster>.<domain suffix>.
	// +optional
	Domain *Domain `json:"domain,omitempty"`

	// Release says which revisions take traffic: a stable revision and an
	// optional canary. Without it the latest revision takes all traffic.
	// +optional
	Release *Release `json:"release,omitempty"`

	// Logs collects files the app writes under a path onto the node.
	// +optional
	Logs *Logs `json:"logs,omitempty"`

	// Schedules sends cron events to the app.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=20
	Schedules []Schedule `json:"schedules,omitempty"`
}

// AppTemplate is the part of the pod an app may set.
type AppTemplate struct {
	// Containers of the pod. The first is the app's own container; Knative
	// routes requests to its port.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	Containers []Container `json:"containers,omitempty"`

	// InitContainers run one after the other, each to completion, before
	// the containers start, such as a schema migration (Knative's
	// kubernetes.podspec-init-containers flag). Each names its image.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	InitContainers []Container `json:"initContainers,omitempty"`

	// Labels of the pods, besides knapp's. Keys under knapp.dev/,
	// serving.knative.dev/, autoscaling.knative.dev/, features.knative.dev/
	// and networking.knative.dev/ are knapp's and Knative's, and refused.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations of the pods (metrics scraping, mesh settings), with the
	// same reserved prefixes as labels.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Volumes the containers may mount: configMap, secret, projected and
	// emptyDir, and persistentVolumeClaim where Knative's
	// kubernetes.podspec-persistent-volume-claim flag is on.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=name
	Volumes []Volume `json:"volumes,omitempty"`

	// ImagePullSecrets name Secrets of the App's namespace with the
	// credentials of private registries.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// SecurityContext of the pod; fields beyond Knative's default subset
	// need its kubernetes.podspec-securitycontext flag.
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`

	// NodeSelector places the pods on nodes with these labels (Knative's
	// kubernetes.podspec-nodeselector flag).
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations let the pods run on tainted nodes (Knative's
	// kubernetes.podspec-tolerations flag).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity places the pods by node labels and by the other pods on a
	// node or in a zone (Knative's kubernetes.podspec-affinity flag).
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// PriorityClassName of the pods (Knative's
	// kubernetes.podspec-priorityclassname flag).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// RuntimeClassName runs the pods under another container runtime, such
	// as a sandbox (Knative's kubernetes.podspec-runtimeclassname flag).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RuntimeClassName *string `json:"runtimeClassName,omitempty"`

	// TopologySpreadConstraints spread the pods over zones or nodes
	// (Knative's kubernetes.podspec-topologyspreadconstraints flag).
	// +optional
	// +kubebuilder:validation:MaxItems=8
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// SchedulerName of another scheduler (Knative's
	// kubernetes.podspec-schedulername flag).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SchedulerName string `json:"schedulerName,omitempty"`

	// DNSPolicy of the pods (Knative's kubernetes.podspec-dnspolicy flag).
	// +optional
	DNSPolicy corev1.DNSPolicy `json:"dnsPolicy,omitempty"`

	// DNSConfig adds name servers, searches and options (Knative's
	// kubernetes.podspec-dnsconfig flag).
	// +optional
	DNSConfig *corev1.PodDNSConfig `json:"dnsConfig,omitempty"`

	// HostAliases add entries to the pods' /etc/hosts (Knative's
	// kubernetes.podspec-hostaliases flag).
	// +optional
	// +kubebuilder:validation:MaxItems=32
	HostAliases []corev1.HostAlias `json:"hostAliases,omitempty"`

	// ServiceAccountName runs the pod as this service account.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// TimeoutSeconds is how long a request may take.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	TimeoutSeconds *int64 `json:"timeoutSeconds,omitempty"`

	// ResponseStartTimeoutSeconds is how long a request may wait for the
	// first byte of its response; not above timeoutSeconds.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	ResponseStartTimeoutSeconds *int64 `json:"responseStartTimeoutSeconds,omitempty"`

	// IdleTimeoutSeconds is how long a request may stay open without a byte
	// from the app (streams, long polls); not above timeoutSeconds.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	IdleTimeoutSeconds *int64 `json:"idleTimeoutSeconds,omitempty"`

	// ContainerConcurrency caps requests in flight per pod; 0 means no cap.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	ContainerConcurrency *int64 `json:"containerConcurrency,omitempty"`
}

// Container is one container of the app's pod.
type Container struct {
	// Name of the container. Defaults to Knative's (user-container for the
	// app's own container).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`

	// Image of a sidecar container. The first container runs spec.image (or
	// the built image) and must leave this out.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image,omitempty"`

	// Command overrides the image's entrypoint.
	// +optional
	Command []string `json:"command,omitempty"`

	// Args are the arguments to the entrypoint.
	// +optional
	Args []string `json:"args,omitempty"`

	// WorkingDir is the container's working directory.
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`

	// Env sets environment variables.
	// +optional
	// +listType=map
	// +listMapKey=name
	Env []corev1.EnvVar `json:"env,omitempty"`

	// EnvFrom sets environment variables from ConfigMaps and Secrets.
	// +optional
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// Ports: at most one, the port the app listens on (Knative's default is 8080).
	// +optional
	// +kubebuilder:validation:MaxItems=1
	Ports []corev1.ContainerPort `json:"ports,omitempty"`

	// Resources are the container's requests and limits.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// ReadinessProbe says when the container can take requests.
	// +optional
	ReadinessProbe *corev1.Probe `json:"readinessProbe,omitempty"`

	// LivenessProbe says when the container must be restarted.
	// +optional
	LivenessProbe *corev1.Probe `json:"livenessProbe,omitempty"`

	// StartupProbe holds the other probes back until the container started.
	// +optional
	StartupProbe *corev1.Probe `json:"startupProbe,omitempty"`

	// VolumeMounts mount volumes of spec.template.volumes.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	VolumeMounts []corev1.VolumeMount `json:"volumeMounts,omitempty"`

	// SecurityContext of the container (Knative allows a subset; more with
	// its kubernetes.containerspec-addcapabilities flag).
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
}

// Volume is a volume of the pod, of the kinds Knative allows: exactly one
// source.
type Volume struct {
	// Name the containers' volumeMounts use.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// ConfigMap of the App's namespace, its keys as files.
	// +optional
	ConfigMap *corev1.ConfigMapVolumeSource `json:"configMap,omitempty"`
	// Secret of the App's namespace, its keys as files (certificates).
	// +optional
	Secret *corev1.SecretVolumeSource `json:"secret,omitempty"`
	// Projected puts several sources in one directory.
	// +optional
	Projected *corev1.ProjectedVolumeSource `json:"projected,omitempty"`
	// EmptyDir is scratch space of the pod (Knative's
	// kubernetes.podspec-emptydir flag, on by default).
	// +optional
	EmptyDir *corev1.EmptyDirVolumeSource `json:"emptyDir,omitempty"`
	// PersistentVolumeClaim of the App's namespace (Knative's
	// kubernetes.podspec-persistent-volume-claim flag).
	// +optional
	PersistentVolumeClaim *corev1.PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
}

// ScalingMetric is what Knative's autoscaler keeps at the target.
// +kubebuilder:validation:Enum=concurrency;rps;cpu;memory
type ScalingMetric string

// The metrics Knative's autoscalers support: concurrency and rps by the
// Knative Pod Autoscaler, cpu and memory by the Horizontal Pod Autoscaler.
const (
	ScalingMetricConcurrency ScalingMetric = "concurrency"
	ScalingMetricRPS         ScalingMetric = "rps"
	ScalingMetricCPU         ScalingMetric = "cpu"
	ScalingMetricMemory      ScalingMetric = "memory"
)

// Scaling bounds and drives Knative's autoscaler. Every field left unset
// takes the default of the namespace's environment (the platform config's
// environments, by the namespace label knapp.dev/environment), else
// Knative's; status.scaling says which value came from where.
//
// +kubebuilder:validation:XValidation:rule="!has(self.minScale) || !has(self.maxScale) || self.maxScale == 0 || self.minScale <= self.maxScale",message="minScale must not be above maxScale"
type Scaling struct {
	// MinScale is the fewest pods; 0 lets the app scale to zero.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MinScale *int32 `json:"minScale,omitempty"`

	// MaxScale is the most pods; 0 means no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MaxScale *int32 `json:"maxScale,omitempty"`

	// Target is the metric's value per pod that the autoscaler aims for:
	// requests in flight (concurrency), requests per second (rps), percent
	// of the CPU request (cpu), or MiB (memory; required with it).
	// +optional
	// +kubebuilder:validation:Minimum=1
	Target *int32 `json:"target,omitempty"`

	// Metric is what the autoscaler measures.
	// +optional
	Metric ScalingMetric `json:"metric,omitempty"`

	// InitialScale is how many pods a new revision starts with before it
	// takes traffic (Knative's initial-scale; 0 only where the cluster
	// allows zero initial scale).
	// +optional
	// +kubebuilder:validation:Minimum=0
	InitialScale *int32 `json:"initialScale,omitempty"`

	// ScaleDownDelay keeps pods this long after the load dropped before
	// removing them, such as 15m (Knative's scale-down-delay; at most 1h).
	// +optional
	ScaleDownDelay *metav1.Duration `json:"scaleDownDelay,omitempty"`

	// Window is how far back the autoscaler averages the metric (Knative's
	// window; 6s to 1h).
	// +optional
	Window *metav1.Duration `json:"window,omitempty"`

	// TargetUtilization is the percent of the target the autoscaler aims
	// for, keeping headroom for bursts (Knative's
	// target-utilization-percentage; 1 to 100).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	TargetUtilization *int32 `json:"targetUtilization,omitempty"`

	// ActivationScale is the fewest pods a revision scales up to from zero
	// (Knative's activation-scale; at least 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	ActivationScale *int32 `json:"activationScale,omitempty"`

	// PanicWindowPercentage is the panic window as a percent of window
	// (Knative's panic-window-percentage; 1 to 100).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	PanicWindowPercentage *int32 `json:"panicWindowPercentage,omitempty"`

	// PanicThresholdPercentage is the load, as a percent of what the pods
	// can take, above which the autoscaler panics and scales at once
	// (Knative's panic-threshold-percentage; 110 to 1000).
	// +optional
	// +kubebuilder:validation:Minimum=110
	// +kubebuilder:validation:Maximum=1000
	PanicThresholdPercentage *int32 `json:"panicThresholdPercentage,omitempty"`
}

// Domain chooses the app's host.
type Domain struct {
	// Name is the first label of the host; defaults to the App's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
}

// CanaryLatest as a canary revision means whatever revision is the latest.
const CanaryLatest = "latest"

// Release says which revisions take traffic.
//
// +kubebuilder:validation:XValidation:rule="!has(self.stable) || !has(self.canary) || self.stable != self.canary.revision",message="canary.revision must differ from stable"
type Release struct {
	// Stable is the revision that takes the traffic the canary does not.
	// Without it the latest ready revision does.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Stable string `json:"stable,omitempty"`

	// Canary is a second revision that takes a share of the traffic and
	// always has its own host under the tag "canary".
	// +optional
	Canary *Canary `json:"canary,omitempty"`

	// Tags give revisions their own hosts, at 0% of the main traffic
	// (Cloud Run's revision tags): preview-42 on revision shop-... is served
	// at preview-42-shop.<namespace>.<domain>. The tag canary is knapp's.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +listType=map
	// +listMapKey=name
	Tags []RevisionTag `json:"tags,omitempty"`

	// RolloutDuration shifts traffic to a new split over this time, in
	// steps, instead of at once (Knative's serving.knative.dev/rollout-duration,
	// on the Service): a promotion that should not hit the new revision
	// with all requests before it scaled up. Whole seconds, such as 5m.
	// +optional
	RolloutDuration *metav1.Duration `json:"rolloutDuration,omitempty"`

	// Progressive releases the canary step by step, judged by Prometheus,
	// with automatic rollback; it sets the canary's percent, so
	// canary.percent stays unset.
	// +optional
	Progressive *Progressive `json:"progressive,omitempty"`
}

// RevisionTag names a revision's own host.
type RevisionTag struct {
	// Name of the tag, the first part of its host: a DNS label, not canary.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Revision is a revision of this App, or "latest" for the latest one.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Revision string `json:"revision"`
}

// Canary is a revision under trial.
type Canary struct {
	// Revision is a revision name, or "latest" for the latest revision.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Revision string `json:"revision"`

	// Percent of requests the canary takes by Knative's split.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent int32 `json:"percent,omitempty"`

	// Match sends requests that match any rule to the canary, whatever the
	// percent. Routed through Istio.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Match []MatchRule `json:"match,omitempty"`
}

// MatchRule matches a request when all its conditions hold; a request that
// matches any rule goes to the canary.
//
// +kubebuilder:validation:XValidation:rule="has(self.headers) || has(self.path) || has(self.cookie)",message="a match rule needs headers, path or cookie"
type MatchRule struct {
	// Headers by name (lower case); all must match.
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z0-9][-a-z0-9!#$%&*+.^_|~]*$'))",message="header names must be lower-case HTTP tokens, such as x-canary"
	Headers map[string]StringMatch `json:"headers,omitempty"`

	// Path of the request: exact and prefix start with /.
	// +optional
	Path *StringMatch `json:"path,omitempty"`

	// Cookie matches a cookie of the request by name and value.
	// +optional
	Cookie *CookieMatch `json:"cookie,omitempty"`

	// RewritePath replaces the matched path prefix (or the whole path for
	// an exact or regex match) before the canary sees the request.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	RewritePath string `json:"rewritePath,omitempty"`
}

// CookieMatch matches one cookie of the request's Cookie header.
type CookieMatch struct {
	// Name of the cookie.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`
	Name string `json:"name"`

	// Value the cookie must have; any value when left out.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`
}

// StringMatch matches a string in exactly one way.
//
// +kubebuilder:validation:XValidation:rule="[has(self.exact), has(self.prefix), has(self.regex)].filter(x, x).size() == 1",message="set exactly one of exact, prefix or regex"
type StringMatch struct {
	// Exact matches the whole string, case-sensitively.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Exact *string `json:"exact,omitempty"`
	// Prefix matches strings that start with it, case-sensitively.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Prefix *string `json:"prefix,omitempty"`
	// Regex in RE2 syntax.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Regex *string `json:"regex,omitempty"`
}

// Logs collects files the app writes onto the node.
type Logs struct {
	// Path in the container where the app writes its log files.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/`
	// +kubebuilder:validation:XValidation:rule="self != '/'",message="logs.path must be a directory below /, not / itself"
	Path string `json:"path"`

	// Container that writes the logs; defaults to the app's own container.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Container string `json:"container,omitempty"`
}

// BuildSpec makes the image from git with Argo Workflows. Once a build
// succeeded, the App runs its image (by digest) instead of spec.image.
type BuildSpec struct {
	// Git is where the source is.
	// +required
	Git GitSource `json:"git"`

	// Dockerfile path within the context; defaults to Dockerfile.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Dockerfile string `json:"dockerfile,omitempty"`

	// Context directory within the repository; defaults to its root.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Context string `json:"context,omitempty"`

	// ImageRepository the built image is pushed to, such as
	// registry.example.com/team-a/shop (no tag or digest).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	ImageRepository string `json:"imageRepository"`

	// TemplateRef names the WorkflowTemplate (or ClusterWorkflowTemplate)
	// that builds; defaults to the platform's.
	// +optional
	TemplateRef *TemplateRef `json:"templateRef,omitempty"`

	// RegistrySecretName is a Secret of type kubernetes.io/dockerconfigjson
	// in the App's namespace with the credentials to push to
	// imageRepository. The build gets these and no Kubernetes credentials.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RegistrySecretName string `json:"registrySecretName,omitempty"`

	// Hook lets a git server start builds through knapp's hook API.
	// +optional
	Hook *BuildHook `json:"hook,omitempty"`

	// HistoryLimit is how many finished build Workflows are kept; defaults to 5.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=50
	HistoryLimit *int32 `json:"historyLimit,omitempty"`

	// BuildArgs are the Dockerfile's ARG values (docker build --build-arg).
	// They are stored in the build Workflow and the image's history, so
	// they must not carry secrets.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	BuildArgs []BuildArg `json:"buildArgs,omitempty"`

	// CacheRepository is an image repository the builder keeps its layer
	// cache in (kaniko's --cache-repo), such as
	// registry.example.com/team-a/shop-cache; the platform's build policy
	// allows it as it allows imageRepository, and registrySecretName's
	// credentials must push to it too. Unset: no layer cache.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	CacheRepository string `json:"cacheRepository,omitempty"`

	// Timeout stops a build that runs longer (the Workflow's
	// activeDeadlineSeconds), between 1m and 6h; defaults to the build
	// template's (knapp-build: 1h).
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// BuildArg is one Dockerfile ARG value.
type BuildArg struct {
	// Name of the ARG: letters, digits and _, not starting with a digit.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`

	// Value of the ARG, on one line.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Value string `json:"value,omitempty"`
}

// BuildHook lets a git server (GitHub, GitLab) or a plain HTTP call start a
// build: POST /hooks/v1/namespaces/<namespace>/apps/<name>/builds.
type BuildHook struct {
	// SecretName is a Secret in the App's namespace whose key "token" is
	// the shared secret: GitHub's webhook secret, GitLab's secret token, or
	// the bearer token of a plain call.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`

	// Branch whose pushes start a build; defaults to spec.build.git.revision.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Branch string `json:"branch,omitempty"`
}

// GitSource is a git repository at a revision.
type GitSource struct {
	// URL of the repository: https://, http://, ssh:// or git@host:path.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url"`

	// Revision: a branch, tag or commit; defaults to main.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Revision string `json:"revision,omitempty"`

	// SecretName is a Secret in the App's namespace with the credentials to
	// clone a private repository: of type kubernetes.io/ssh-auth (keys
	// ssh-privatekey and known_hosts, the server's host keys, which are
	// required) for ssh:// and user@host:path URLs, or of type
	// kubernetes.io/basic-auth (keys username and password, a token as the
	// password) for https:// URLs. Only the build's clone step gets it: not
	// the builder, not the Workflow's parameters, not the logs.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`
}

// TemplateRef names an Argo WorkflowTemplate.
type TemplateRef struct {
	// Name of the WorkflowTemplate, in the App's namespace, or of the
	// ClusterWorkflowTemplate when clusterScope is true.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// ClusterScope names a ClusterWorkflowTemplate instead.
	// +optional
	ClusterScope bool `json:"clusterScope,omitempty"`
}

// Schedule sends a cron event to the app.
type Schedule struct {
	// Name of the schedule, unique within the App.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Schedule in cron syntax, such as "0 3 * * *".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	Schedule string `json:"schedule"`

	// Timezone as an IANA name, such as Europe/Berlin; defaults to UTC.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Timezone string `json:"timezone,omitempty"`

	// ContentType of the data; defaults to application/json.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	ContentType string `json:"contentType,omitempty"`

	// Data sent as the event's body.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Data string `json:"data,omitempty"`
}

// AppStatus is what knapp observed and did.
type AppStatus struct {
	// ObservedGeneration is the App generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready, and one per part of the App.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL the app is reached at.
	// +optional
	URL string `json:"url,omitempty"`

	// LatestCreatedRevisionName is the newest revision Knative made.
	// +optional
	LatestCreatedRevisionName string `json:"latestCreatedRevisionName,omitempty"`

	// LatestReadyRevisionName is the newest revision that became ready.
	// +optional
	LatestReadyRevisionName string `json:"latestReadyRevisionName,omitempty"`

	// Traffic as Knative routes it now.
	// +optional
	Traffic []TrafficTarget `json:"traffic,omitempty"`

	// StableRevision takes the traffic the canary does not, as routed now.
	// +optional
	StableRevision string `json:"stableRevision,omitempty"`

	// CanaryRevision is the revision tagged canary, as routed now.
	// +optional
	CanaryRevision string `json:"canaryRevision,omitempty"`

	// CanaryPercent is the canary's share of the split, as routed now.
	// +optional
	CanaryPercent *int64 `json:"canaryPercent,omitempty"`

	// Domain is the external host the App holds.
	// +optional
	Domain *DomainStatus `json:"domain,omitempty"`

	// DomainConflict names the App that holds the host this App asks for,
	// while DomainReady is False with reason DomainConflict.
	// +optional
	DomainConflict *DomainConflict `json:"domainConflict,omitempty"`

	// Revisions are the App's newest revisions, newest first, with the
	// traffic each takes now: what release.stable can name.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	Revisions []RevisionStatus `json:"revisions,omitempty"`

	// Build is what the builds from git made.
	// +optional
	Build *BuildStatus `json:"build,omitempty"`

	// Rollout is where the progressive release stands.
	// +optional
	Rollout *RolloutStatus `json:"rollout,omitempty"`

	// Scaling is every autoscaling setting the App's revision has, and
	// where it came from: spec.scaling, or its environment's default.
	// +optional
	Scaling []ScalingSource `json:"scaling,omitempty"`
}

// ScalingSource is one autoscaling setting of the App and where it came from.
type ScalingSource struct {
	// Setting is the field of spec.scaling, such as minScale.
	Setting string `json:"setting"`
	// Value is the value in effect.
	Value string `json:"value"`
	// From is "spec.scaling" or "environment <name>" (the platform config's
	// default for the namespace's knapp.dev/environment).
	From string `json:"from"`
}

// BuildStatus is what the builds from git made.
type BuildStatus struct {
	// Image the App runs: repository@sha256:<digest> of the newest
	// successful build.
	// +optional
	Image string `json:"image,omitempty"`
	// SpecWorkflow is the build Workflow of spec.build's current inputs, as
	// last reconciled: when the spec returns to inputs built before, that
	// build becomes the newest again.
	// +optional
	SpecWorkflow string `json:"specWorkflow,omitempty"`
	// Builds are the App's build Workflows, newest first.
	// +optional
	// +kubebuilder:validation:MaxItems=50
	Builds []BuildRecord `json:"builds,omitempty"`
}

// BuildRecord is one build Workflow.
type BuildRecord struct {
	// Workflow is the Argo Workflow's name.
	// +required
	Workflow string `json:"workflow"`
	// Revision of git that was built: the spec's revision, or the commit a
	// hook call named.
	// +optional
	Revision string `json:"revision,omitempty"`
	// Trigger is what started the build: spec or hook.
	// +optional
	Trigger string `json:"trigger,omitempty"`
	// Phase is Argo's: Pending, Running, Succeeded, Failed, Error.
	// +optional
	Phase string `json:"phase,omitempty"`
	// Digest of the pushed image, once it succeeded.
	// +optional
	Digest string `json:"digest,omitempty"`
	// StartedAt is when Argo started the build.
	// +optional
	StartedAt *metav1.Time `json:"startedAt,omitempty"`
	// FinishedAt is when the build ended, whatever its phase.
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// Message is Argo's, for a build that failed.
	// +optional
	Message string `json:"message,omitempty"`
}

// DomainConflict is the host an App asks for and the App that holds it.
type DomainConflict struct {
	// Host is the external host asked for.
	Host string `json:"host"`
	// HeldBy is the App that holds it, as namespace/name.
	HeldBy string `json:"heldBy"`
}

// DomainStatus is the external host an App holds.
type DomainStatus struct {
	// Host the App holds.
	// +required
	Host string `json:"host"`
	// ClaimedAt is when the App first held the host; the earlier claim keeps
	// a host two Apps ask for.
	// +required
	ClaimedAt metav1.Time `json:"claimedAt"`
}

// RevisionStatus is one revision of the App.
type RevisionStatus struct {
	// Name of the Knative Revision, <app>-<hash of its template>.
	// +required
	Name string `json:"name"`
	// Image of the app's own container.
	// +optional
	Image string `json:"image,omitempty"`
	// Created is when Knative created the revision.
	// +optional
	Created metav1.Time `json:"created,omitempty"`
	// Percent of the traffic the revision takes now.
	// +optional
	Percent *int64 `json:"percent,omitempty"`
	// Tags the revision is reachable under, such as canary.
	// +optional
	Tags []string `json:"tags,omitempty"`
}

// TrafficTarget is one entry of the traffic as Knative routes it.
type TrafficTarget struct {
	// RevisionName the entry routes to.
	// +optional
	RevisionName string `json:"revisionName,omitempty"`
	// LatestRevision is true when the entry follows the newest ready revision.
	// +optional
	LatestRevision *bool `json:"latestRevision,omitempty"`
	// Percent of the requests the entry takes.
	// +optional
	Percent *int64 `json:"percent,omitempty"`
	// Tag names the entry's own host, such as canary.
	// +optional
	Tag string `json:"tag,omitempty"`
	// URL of the tag's own host.
	// +optional
	URL string `json:"url,omitempty"`
}

// App is one serverless application: it becomes a Knative Service, and when
// asked, Istio routes, Argo builds, cron schedules and host-path logs.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=knapp,categories=knapp
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 49",message="metadata.name: at most 49 characters, so that revision names (<name>-<10 characters>) and Knative's derived names stay within 63"
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Stable",type=string,JSONPath=`.status.stableRevision`
// +kubebuilder:printcolumn:name="Canary",type=string,JSONPath=`.status.canaryRevision`
// +kubebuilder:printcolumn:name="Canary%",type=integer,JSONPath=`.status.canaryPercent`
// +kubebuilder:printcolumn:name="Rollout",type=string,JSONPath=`.status.rollout.phase`
// +kubebuilder:printcolumn:name="Step",type=integer,JSONPath=`.status.rollout.step`
// +kubebuilder:printcolumn:name="Latest",type=string,JSONPath=`.status.latestReadyRevisionName`,priority=1
// +kubebuilder:printcolumn:name="Tags",type=string,JSONPath=`.status.traffic[*].tag`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type App struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec AppSpec `json:"spec"`
	// +optional
	Status AppStatus `json:"status,omitempty"`
}

// AppList is a list of Apps.
//
// +kubebuilder:object:root=true
type AppList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []App `json:"items"`
}

func init() {
	SchemeBuilder.Register(&App{}, &AppList{})
}
