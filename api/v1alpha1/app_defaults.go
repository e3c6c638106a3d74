package v1alpha1

import "strings"

// The App's defaults. The defaulting webhook writes them into the App
// (SetDefaults), so `kubectl get app -o yaml` shows them; the builders and
// the hook API read an unset field as its default through the accessors
// below, so an App stored before the webhook existed runs the same.
const (
	// DefaultBuildRevision is spec.build.git.revision's default.
	DefaultBuildRevision = "main"
	// DefaultBuildDockerfile is spec.build.dockerfile's default.
	DefaultBuildDockerfile = "Dockerfile"
	// DefaultBuildContext is spec.build.context's default.
	DefaultBuildContext = "."
	// DefaultBuildHistoryLimit is spec.build.historyLimit's default: how many
	// finished build Workflows are kept.
	DefaultBuildHistoryLimit int32 = 5
	// DefaultScheduleTimezone is spec.schedules[].timezone's default: a
	// schedule without one runs in UTC (Eventing would otherwise use its
	// adapter's own zone).
	DefaultScheduleTimezone = "UTC"
	// DefaultScheduleContentType is spec.schedules[].contentType's default.
	DefaultScheduleContentType = "application/json"
)

// HookTokenKey is the key of the hook Secret (spec.build.hook.secretName)
// that holds the hook API's shared secret.
const HookTokenKey = "token"

// SetDefaults writes the App's defaults into it: spec.build's
// git.revision, dockerfile, context and historyLimit, each schedule's
// timezone and contentType, and the progressive analysis's interval,
// minRequests and failureLimit. It sets only fields that are empty, so applying
// it twice equals once, and it changes nothing the App runs: the accessors
// give the same values for an unset field.
//
// spec.build.hook.branch is left alone: it follows git.revision when unset,
// and writing today's revision into it would stop it following.
func (a *App) SetDefaults() {
	if b := a.Spec.Build; b != nil {
		setString(&b.Git.Revision, DefaultBuildRevision)
		setString(&b.Dockerfile, DefaultBuildDockerfile)
		setString(&b.Context, DefaultBuildContext)
		if b.HistoryLimit == nil {
			limit := DefaultBuildHistoryLimit
			b.HistoryLimit = &limit
		}
	}
	if r := a.Spec.Release; r != nil && r.Progressive != nil && r.Progressive.Analysis != nil {
		r.Progressive.Analysis.setDefaults()
	}
	for i := range a.Spec.Schedules {
		s := &a.Spec.Schedules[i]
		setString(&s.Timezone, DefaultScheduleTimezone)
		setString(&s.ContentType, DefaultScheduleContentType)
	}
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// GitRevision is the revision spec.build builds: git.revision, else main.
// A nil build has the default too.
func (b *BuildSpec) GitRevision() string {
	if b == nil {
		return DefaultBuildRevision
	}
	return orDefault(b.Git.Revision, DefaultBuildRevision)
}

// DockerfileOrDefault is spec.build.dockerfile, else Dockerfile.
func (b *BuildSpec) DockerfileOrDefault() string {
	return orDefault(b.Dockerfile, DefaultBuildDockerfile)
}

// ContextOrDefault is spec.build.context, else ".".
func (b *BuildSpec) ContextOrDefault() string {
	return orDefault(b.Context, DefaultBuildContext)
}

// HistoryLimitOrDefault is spec.build.historyLimit, else 5.
func (b *BuildSpec) HistoryLimitOrDefault() int {
	if b.HistoryLimit == nil {
		return int(DefaultBuildHistoryLimit)
	}
	return int(*b.HistoryLimit)
}

// HookBranch is the branch whose pushes start builds, and the field it
// comes from: spec.build.hook.branch, else spec.build.git.revision, else
// main. A refs/heads/ prefix is dropped.
func (b *BuildSpec) HookBranch() (branch, from string) {
	switch {
	case b != nil && b.Hook != nil && b.Hook.Branch != "":
		branch, from = b.Hook.Branch, "spec.build.hook.branch"
	case b != nil && b.Git.Revision != "":
		branch, from = b.Git.Revision, "spec.build.git.revision"
	default:
		return DefaultBuildRevision, "the default"
	}
	return strings.TrimPrefix(branch, "refs/heads/"), from
}

// TimezoneOrDefault is the schedule's timezone, else UTC.
func (s *Schedule) TimezoneOrDefault() string {
	return orDefault(s.Timezone, DefaultScheduleTimezone)
}

// ContentTypeOrDefault is the schedule's contentType, else application/json.
func (s *Schedule) ContentTypeOrDefault() string {
	return orDefault(s.ContentType, DefaultScheduleContentType)
}

// HostLabel is the first label of the App's host: spec.domain.name, else
// the App's name. All Apps share the platform's domain, so equal labels
// mean equal hosts.
func (a *App) HostLabel() string {
	if a.Spec.Domain != nil && a.Spec.Domain.Name != "" {
		return a.Spec.Domain.Name
	}
	return a.Name
}
