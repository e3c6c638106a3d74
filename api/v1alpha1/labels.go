package v1alpha1

// Labels and annotations knapp puts on the objects it makes. They are part
// of the API: the pod webhook selects on them, and Knative's config-domain
// and domain-template read them.
const (
	// LabelApp names the App an object belongs to. It is on the Knative
	// Service and on its revision template, so every revision and pod has it.
	LabelApp = "knapp.dev/app"

	// LabelLogs marks the revision template (so every pod) of an App with
	// spec.logs; the pod webhook's objectSelector selects on it, so pods of
	// other Apps and of anything else never reach that webhook.
	LabelLogs = "knapp.dev/logs"

	// LabelPodSecurity on a Namespace, with the value LabelPodSecurityBaseline,
	// puts it under knapp's policy knapp-pod-security-baseline
	// (config/policy/pod-security.yaml): Pod Security baseline for every pod
	// except knapp's own log volume. A namespace whose Apps keep logs must
	// let Pod Security admission allow hostPath (enforce privileged), and
	// this label keeps baseline in force there. Set by a cluster admin.
	LabelPodSecurity = "knapp.dev/pod-security"
	// LabelPodSecurityBaseline is the value of LabelPodSecurity.
	LabelPodSecurityBaseline = "baseline"

	// LabelDomain is the label Knative's config-domain selects on to give
	// the platform's domain (sls-<cluster>.<suffix>) to knapp's Services.
	LabelDomain = "knapp.dev/domain"
	// LabelDomainValue is the value of LabelDomain.
	LabelDomainValue = "platform"

	// LabelBuildTrigger on a build Workflow says what started it: spec
	// (a change of spec.build) or hook (a call of the hook API).
	LabelBuildTrigger = "knapp.dev/build-trigger"
	// AnnotationBuildRevision on a build Workflow is the git revision built.
	AnnotationBuildRevision = "knapp.dev/git-revision"
	// AnnotationBuildTriggeredAt on a build Workflow is when knapp started
	// it (RFC 3339, nanoseconds): creationTimestamp has whole seconds only,
	// and the newest build decides the image.
	AnnotationBuildTriggeredAt = "knapp.dev/triggered-at"

	// AnnotationHost holds the first label of the App's host (domain.name or
	// the App's name). The platform's domain-template uses it, and drops the
	// namespace from the host, when it is set.
	AnnotationHost = "knapp.dev/host"
)
