package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	wfv1 "github.com/argoproj/argo-workflows/v3/pkg/apis/workflow/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/pkg/metrics"
	"knapp.dev/knapp/pkg/platform"
	"knapp.dev/knapp/pkg/resources"
)

// reconcileBuilds makes sure the build spec.build asks for exists (one
// Workflow per build inputs, so a restart never starts it twice), prunes
// old builds and reports them. It records the image of the newest
// successful build, which the App runs ("" when there is none).
func (r *Reconciler) reconcileBuilds(ctx context.Context, s *state) (outcome, error) {
	app := s.app
	b := app.Spec.Build
	if b == nil {
		app.Status.Build = nil
		return cleared, nil
	}
	if app.Status.Build != nil {
		// Until the builds are read, the App keeps running what it ran: a
		// failed read must not switch it to spec.image.
		s.builtImage = app.Status.Build.Image
	}
	workflows, err := r.buildWorkflows(ctx, app)
	if err != nil {
		return outcome{}, err
	}
	// Only trusted builds count: a forged one could otherwise choose the
	// image, or pose as the newest and stop the App's real build.
	workflows, untrusted := r.trustedBuilds(app, workflows, time.Now())
	specName := resources.BuildWorkflowName(app, specTrigger(b))
	retrigger, err := r.specBuildSetBack(ctx, app, workflows, specName)
	if err != nil {
		return outcome{}, err
	}
	if retrigger {
		// The spec's build inputs changed since the last reconcile to inputs
		// built before (a revision set back): that build is what the spec
		// asks for now, so it becomes the newest again.
		if err := r.retriggerBuild(ctx, app, workflows, specName); err != nil {
			return outcome{}, err
		}
		sortNewestFirst(workflows)
	}
	image, imageErr := newestBuiltImage(workflows)
	if imageErr != nil {
		log.FromContext(ctx).Info("ignoring a build with an invalid digest", "error", imageErr.Error())
	}
	s.builtImage = image

	var result outcome
	var stepErr error
	if errs := v1alpha1.ValidateBuild(b, field.NewPath("spec", "build")); len(errs) > 0 {
		stepErr = stalled(v1alpha1.ReasonInvalidSpec, errs.ToAggregate().Error())
	} else {
		trigger := specTrigger(b)
		if !hasWorkflow(workflows, resources.BuildWorkflowName(app, trigger)) {
			var wf *wfv1.Workflow
			wf, stepErr = r.startBuild(ctx, app, trigger)
			if wf != nil {
				workflows = append([]wfv1.Workflow{*wf}, workflows...)
			}
		}
		if stepErr == nil {
			result, stepErr = buildCondition(workflows)
		}
		if stepErr == nil && len(untrusted) > 0 {
			// Never silent, never deployed: the builds knapp trusts run.
			stepErr = stalled(v1alpha1.ReasonUntrustedBuild, untrustedMessage(untrusted))
		}
	}
	if err := r.deleteFinishedUntrusted(ctx, app, untrusted); err != nil {
		stepErr = errors.Join(stepErr, requeue(err))
	}
	if err := r.stopSuperseded(ctx, app, workflows); err != nil {
		// The condition says how the builds are; stopping is retried.
		stepErr = errors.Join(stepErr, requeue(err))
	}
	workflows, err = r.pruneBuilds(ctx, app, workflows, specName)
	if err != nil {
		// The condition says how the builds are; pruning is retried.
		stepErr = errors.Join(stepErr, requeue(err))
	}
	app.Status.Build = &v1alpha1.BuildStatus{Image: image, SpecWorkflow: specName, Builds: buildRecords(workflows, maxBuildRecords)}
	return result, stepErr
}

// maxTriggerSkew is how far in the future a build's triggered-at may be
// (clocks of knapp's replicas differ a little); later, it is forged to make
// the build the newest.
const maxTriggerSkew = time.Minute

// untrustedBuild is a Workflow of the App that cannot be one of its builds,
// and why.
type untrustedBuild struct {
	wf  wfv1.Workflow
	why string
}

// trustedBuilds splits the App's Workflows into those that can be its
// builds (resources.BuildWorkflowMismatch), triggered no later than now,
// and the others, each reported in a Warning event.
func (r *Reconciler) trustedBuilds(app *v1alpha1.App, workflows []wfv1.Workflow, now time.Time) (trusted []wfv1.Workflow, untrusted []untrustedBuild) {
	trusted = workflows[:0:0]
	for i := range workflows {
		wf := &workflows[i]
		why := resources.BuildWorkflowMismatch(app, wf, r.Platform)
		if why == "" && triggeredAt(wf).After(now.Add(maxTriggerSkew)) {
			why = fmt.Sprintf("it was triggered at %s, in the future", triggeredAt(wf).UTC().Format(time.RFC3339))
		}
		if why == "" {
			trusted = append(trusted, *wf)
			continue
		}
		untrusted = append(untrusted, untrustedBuild{wf: *wf, why: why})
		r.Recorder.Eventf(app, wf, corev1.EventTypeWarning, v1alpha1.ReasonUntrustedBuild, actionUpdateChild,
			"Workflow %s cannot be a build of this App's spec.build, so its image is never run: %s", wf.Name, why)
	}
	return trusted, untrusted
}

func untrustedMessage(untrusted []untrustedBuild) string {
	whys := make([]string, len(untrusted))
	for i, u := range untrusted {
		whys[i] = u.wf.Name + ": " + u.why
	}
	return fmt.Sprintf("Workflows that claim to be this App's builds cannot be builds of its spec.build; their images are never run (%s). "+
		"knapp deletes each once it has finished; only knapp and Argo's controller should write Workflows labelled %s (knapp's policy knapp-build-workflows).",
		strings.Join(whys, "; "), v1alpha1.LabelApp)
}

// deleteFinishedUntrusted deletes the untrusted Workflows that finished:
// never deployable, so never kept (one still running is left to finish).
func (r *Reconciler) deleteFinishedUntrusted(ctx context.Context, app *v1alpha1.App, untrusted []untrustedBuild) error {
	var errs []error
	for i := range untrusted {
		wf := &untrusted[i].wf
		if !wf.Status.Phase.Completed() {
			continue
		}
		if err := r.Client.Delete(ctx, wf); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting untrusted Workflow %s: %w", wf.Name, err))
			continue
		}
		r.Recorder.Eventf(app, wf, corev1.EventTypeWarning, eventDeleted, actionDeleteChild,
			"Deleted Workflow %s, which cannot be a build of this App's spec.build: %s", wf.Name, untrusted[i].why)
	}
	return errors.Join(errs...)
}

// specTrigger is the build spec.build asks for.
func specTrigger(b *v1alpha1.BuildSpec) resources.BuildTrigger {
	return resources.BuildTrigger{Revision: b.GitRevision(), Source: resources.BuildTriggerSpec}
}

// errBuildExists: the Workflow of that trigger exists already.
var errBuildExists = errors.New("a build of these inputs exists already")

// startBuild creates the Workflow of a trigger, after checking that what it
// needs exists.
func (r *Reconciler) startBuild(ctx context.Context, app *v1alpha1.App, trigger resources.BuildTrigger) (*wfv1.Workflow, error) {
	if err := r.buildPrerequisites(ctx, app); err != nil {
		return nil, err
	}
	wf := resources.MakeBuildWorkflow(app, trigger, r.Platform)
	if wf.Annotations == nil {
		wf.Annotations = map[string]string{}
	}
	wf.Annotations[v1alpha1.AnnotationBuildTriggeredAt] = time.Now().UTC().Format(time.RFC3339Nano)
	if err := r.Client.Create(ctx, wf); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, requeue(fmt.Errorf("%w: %s", errBuildExists, wf.Name))
		}
		return nil, fmt.Errorf("creating build Workflow %s: %w", wf.Name, err)
	}
	metrics.BuildsStarted.WithLabelValues(trigger.Source).Inc()
	r.Recorder.Eventf(app, wf, corev1.EventTypeNormal, eventCreated, actionCreateChild,
		"Started build %s of %s at %s (%s)", wf.Name, app.Spec.Build.Git.URL, trigger.Revision, trigger.Source)
	return wf, nil
}

// stopSuperseded stops the App's running builds but the newest (workflows
// are sorted newest first): at most one build per App runs, and the newest
// trigger wins. It runs on every reconcile, so a stop that failed is
// retried.
func (r *Reconciler) stopSuperseded(ctx context.Context, app *v1alpha1.App, workflows []wfv1.Workflow) error {
	var errs []error
	for i := 1; i < len(workflows); i++ {
		old := &workflows[i]
		if old.Status.Phase.Completed() || old.Spec.Shutdown != "" {
			continue
		}
		patch := client.MergeFrom(old.DeepCopy())
		old.Spec.Shutdown = wfv1.ShutdownStrategyTerminate
		if err := r.Client.Patch(ctx, old, patch); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("stopping superseded build %s: %w", old.Name, err))
			continue
		}
		r.Recorder.Eventf(app, old, corev1.EventTypeNormal, "Superseded", actionUpdateChild,
			"Stopped build %s: build %s supersedes it", old.Name, workflows[0].Name)
	}
	return errors.Join(errs...)
}

// buildPrerequisites checks that the platform allows the build, that its
// template exists and takes the parameters the build sets, and that its
// Secrets exist and hold what they must. Nothing watches templates and
// Secrets, so a missing one is retried with backoff.
func (r *Reconciler) buildPrerequisites(ctx context.Context, app *v1alpha1.App) error {
	b := app.Spec.Build
	ref := r.Platform.BuildTemplate
	if b.TemplateRef != nil {
		ref = platform.BuildTemplate{Name: b.TemplateRef.Name, ClusterScope: b.TemplateRef.ClusterScope}
	}
	// The platform's build policy, before every build: at admission only a
	// changed field is checked, and the policy may have changed since.
	if why := r.Platform.BuildTemplateProblem(ref.Name, ref.ClusterScope); why != "" {
		return stalled(v1alpha1.ReasonBuildNotAllowed, "spec.build.templateRef.name: "+why)
	}
	if why := r.Platform.ImageRepositoryNotAllowed(app.Namespace, b.ImageRepository); why != "" {
		return stalled(v1alpha1.ReasonBuildNotAllowed, "spec.build.imageRepository: "+why)
	}
	if b.CacheRepository != "" {
		if why := r.Platform.ImageRepositoryNotAllowed(app.Namespace, b.CacheRepository); why != "" {
			return stalled(v1alpha1.ReasonBuildNotAllowed, "spec.build.cacheRepository: "+why)
		}
	}
	if err := r.checkBuildTemplate(ctx, app, ref); err != nil {
		return err
	}
	if err := r.checkRegistrySecret(ctx, app); err != nil {
		return err
	}
	return r.checkGitSecret(ctx, app)
}

// buildSecretsForbidden says why knapp cannot read a build's Secrets in
// namespace: it gets Secrets only in build namespaces, by the Role
// knapp-build-secrets (config/rbac/build-secrets.yaml), not cluster-wide.
func buildSecretsForbidden(namespace string) string {
	return fmt.Sprintf("knapp may not read Secrets in namespace %s: builds run only in the platform's build namespaces; "+
		"the platform team adds %s to the chart's builds.namespaces (which binds the Role knapp-build-secrets there)", namespace, namespace)
}

// buildWorkflows lists the App's build Workflows, newest first.
func (r *Reconciler) buildWorkflows(ctx context.Context, app *v1alpha1.App) ([]wfv1.Workflow, error) {
	list := &wfv1.WorkflowList{}
	if err := r.Client.List(ctx, list, client.InNamespace(app.Namespace), client.MatchingLabels{v1alpha1.LabelApp: app.Name}); err != nil {
		return nil, fmt.Errorf("listing build Workflows of %s: %w", app.Name, err)
	}
	var out []wfv1.Workflow
	for _, wf := range list.Items {
		if metav1.IsControlledBy(&wf, app) {
			out = append(out, wf)
		}
	}
	sortNewestFirst(out)
	return out, nil
}

func sortNewestFirst(workflows []wfv1.Workflow) {
	sort.SliceStable(workflows, func(i, j int) bool { return triggeredAt(&workflows[j]).Before(triggeredAt(&workflows[i])) })
}

// specBuildSetBack tells whether the spec's build exists but is not the
// newest while the last reconcile recorded another spec build: the spec went
// back to inputs built before. The cached App can lag behind the status the
// last reconcile wrote, and retriggering on that stale view would let the
// spec's build supersede a newer hook build, so the App is read live before
// it is decided (rare: only when the cache says the inputs changed).
func (r *Reconciler) specBuildSetBack(ctx context.Context, app *v1alpha1.App, workflows []wfv1.Workflow, specName string) (bool, error) {
	recorded := func(a *v1alpha1.App) bool {
		return a.Status.Build != nil && a.Status.Build.SpecWorkflow == specName
	}
	if recorded(app) || !hasWorkflow(workflows, specName) || workflows[0].Name == specName {
		return false, nil
	}
	live := &v1alpha1.App{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(app), live); err != nil {
		if apierrors.IsNotFound(err) {
			// Deleted meanwhile: the cached view decides, the builds go with it.
			return true, nil
		}
		return false, fmt.Errorf("reading App %s/%s: %w", app.Namespace, app.Name, err)
	}
	return !recorded(live), nil
}

// retriggerBuild stamps the named build (if it exists) as triggered now.
func (r *Reconciler) retriggerBuild(ctx context.Context, app *v1alpha1.App, workflows []wfv1.Workflow, name string) error {
	for i := range workflows {
		wf := &workflows[i]
		if wf.Name != name {
			continue
		}
		patch := client.MergeFrom(wf.DeepCopy())
		if wf.Annotations == nil {
			wf.Annotations = map[string]string{}
		}
		wf.Annotations[v1alpha1.AnnotationBuildTriggeredAt] = time.Now().UTC().Format(time.RFC3339Nano)
		if err := r.Client.Patch(ctx, wf, patch); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("marking build %s as the spec's again: %w", name, err)
		}
		r.Recorder.Eventf(app, wf, corev1.EventTypeNormal, eventUpdated, actionUpdateChild,
			"Build %s (%s) is the spec's build again: spec.build is back at its inputs, so nothing is rebuilt", wf.Name, phaseOrPending(wf.Status.Phase))
	}
	return nil
}

// triggeredAt is when knapp started a build: its annotation, else (a
// Workflow someone else made) its creation time.
func triggeredAt(wf *wfv1.Workflow) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, wf.Annotations[v1alpha1.AnnotationBuildTriggeredAt]); err == nil {
		return t
	}
	return wf.CreationTimestamp.Time
}

// pruneBuilds deletes finished builds beyond the history limit, keeping
// every running build, the build whose image the App runs, and the build of
// the current spec (deleting it would start it again). It returns the
// builds that remain.
func (r *Reconciler) pruneBuilds(ctx context.Context, app *v1alpha1.App, workflows []wfv1.Workflow, specBuild string) ([]wfv1.Workflow, error) {
	limit := app.Spec.Build.HistoryLimitOrDefault()
	deployed := newestSucceeded(workflows)
	kept := 0
	var errs []error
	remaining := make([]wfv1.Workflow, 0, len(workflows))
	for i := range workflows {
		wf := &workflows[i]
		if !wf.Status.Phase.Completed() || wf.Name == deployed || wf.Name == specBuild {
			remaining = append(remaining, *wf)
			continue
		}
		if kept++; kept <= limit {
			remaining = append(remaining, *wf)
			continue
		}
		switch err := r.Client.Delete(ctx, wf); {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("pruning build %s: %w", wf.Name, err))
			remaining = append(remaining, *wf)
		default:
			r.Recorder.Eventf(app, wf, corev1.EventTypeNormal, eventDeleted, actionDeleteChild,
				"Deleted build %s (%s): beyond spec.build.historyLimit %d", wf.Name, wf.Status.Phase, limit)
		}
	}
	return remaining, errors.Join(errs...)
}

func hasWorkflow(workflows []wfv1.Workflow, name string) bool {
	for _, wf := range workflows {
		if wf.Name == name {
			return true
		}
	}
	return false
}

// newestSucceeded names the newest Succeeded build with a valid digest.
func newestSucceeded(workflows []wfv1.Workflow) string {
	if i, _, _ := newestDeployable(workflows); i >= 0 {
		return workflows[i].Name
	}
	return ""
}

// newestBuiltImage is the image of the newest successful build with a valid
// digest. A newer success whose digest is not one is returned as an error:
// it is reported, and its image is never deployed.
func newestBuiltImage(workflows []wfv1.Workflow) (string, error) {
	_, image, invalid := newestDeployable(workflows)
	return image, invalid
}

// newestDeployable finds, among builds sorted newest first, the newest
// Succeeded one with a valid digest: its index (-1 when none), its image,
// and the error of the newest success before it whose digest is invalid.
func newestDeployable(workflows []wfv1.Workflow) (int, string, error) {
	var invalid error
	for i := range workflows {
		if workflows[i].Status.Phase != wfv1.WorkflowSucceeded {
			continue
		}
		image, err := buildImage(&workflows[i])
		if err == nil {
			return i, image, invalid
		}
		if invalid == nil {
			invalid = err
		}
	}
	return -1, "", invalid
}

// buildImage is the image a Workflow pushed, to the repository it was given.
func buildImage(wf *wfv1.Workflow) (string, error) {
	repo := ""
	if p := wf.Spec.Arguments.GetParameterByName(resources.BuildParamImageRepository); p != nil && p.Value != nil {
		repo = p.Value.String()
	}
	return resources.BuildImage(wf, repo)
}

// buildCondition is BuildSucceeded for the newest build.
func buildCondition(workflows []wfv1.Workflow) (outcome, error) {
	if len(workflows) == 0 {
		return progressing(v1alpha1.ReasonBuilding, "No build has started yet."), nil
	}
	newest := &workflows[0]
	switch newest.Status.Phase {
	case wfv1.WorkflowSucceeded:
		image, err := buildImage(newest)
		if err != nil {
			return outcome{}, stalled(v1alpha1.ReasonInvalidDigest, err.Error()+"; the App keeps running its previous image.")
		}
		return outcome{status: metav1.ConditionTrue, reason: v1alpha1.ReasonBuildSucceeded, message: fmt.Sprintf("Build %s pushed %s.", newest.Name, image)}, nil
	case wfv1.WorkflowFailed, wfv1.WorkflowError:
		msg := newest.Status.Message
		if msg == "" {
			msg = "no message from Argo"
		}
		return outcome{}, stalled(v1alpha1.ReasonBuildFailed, fmt.Sprintf(
			"Build %s %s: %s; the App keeps running its previous image.", newest.Name, newest.Status.Phase, msg))
	default:
		return progressing(v1alpha1.ReasonBuilding, fmt.Sprintf(
			"Build %s of %s is %s.", newest.Name, newest.Annotations[v1alpha1.AnnotationBuildRevision], phaseOrPending(newest.Status.Phase))), nil
	}
}

func phaseOrPending(p wfv1.WorkflowPhase) string {
	if p == "" {
		return string(wfv1.WorkflowPending)
	}
	return string(p)
}

// maxBuildRecords is the most builds status.build lists (the CRD's limit).
const maxBuildRecords = 50

// buildRecords reports the newest builds, newest first.
func buildRecords(workflows []wfv1.Workflow, max int) []v1alpha1.BuildRecord {
	var out []v1alpha1.BuildRecord
	for i := range workflows {
		if len(out) == max {
			break
		}
		wf := &workflows[i]
		rec := v1alpha1.BuildRecord{
			Workflow: wf.Name,
			Revision: wf.Annotations[v1alpha1.AnnotationBuildRevision],
			Trigger:  wf.Labels[v1alpha1.LabelBuildTrigger],
			Phase:    phaseOrPending(wf.Status.Phase),
		}
		if !wf.Status.StartedAt.IsZero() {
			rec.StartedAt = wf.Status.StartedAt.DeepCopy()
		}
		if !wf.Status.FinishedAt.IsZero() {
			rec.FinishedAt = wf.Status.FinishedAt.DeepCopy()
		}
		if wf.Status.Phase == wfv1.WorkflowSucceeded {
			if image, err := buildImage(wf); err == nil {
				_, rec.Digest, _ = strings.Cut(image, "@")
			}
		}
		if wf.Status.Phase == wfv1.WorkflowFailed || wf.Status.Phase == wfv1.WorkflowError {
			rec.Message = wf.Status.Message
		}
		out = append(out, rec)
	}
	return out
}
