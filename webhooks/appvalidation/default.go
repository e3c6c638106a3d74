package appvalidation

import (
	"knapp.dev/knapp/api/v1alpha1"
	"knapp.dev/knapp/controllers/app/resources"
)

// Defaults written by Default. The build defaults are the builder's
// (controllers/app/resources), so spelling them out changes no build: a
// build's name hashes a default and its value alike.
const (
	// DefaultBuildRevision is spec.build.git.revision's default.
	DefaultBuildRevision = resources.DefaultBuildRevision
	// DefaultBuildDockerfile is spec.build.dockerfile's default.
	DefaultBuildDockerfile = resources.DefaultBuildDockerfile
	// DefaultBuildContext is spec.build.context's default.
	DefaultBuildContext = resources.DefaultBuildContext
	// DefaultBuildHistoryLimit is spec.build.historyLimit's default, the
	// reconciler's (controllers/app, defaultBuildHistoryLimit, unexported).
	DefaultBuildHistoryLimit int32 = 5
	// DefaultScheduleTimezone is spec.schedules[].timezone's default; the
	// builder (resources.MakePingSource) sends schedules without one in UTC.
	DefaultScheduleTimezone = "UTC"
	// DefaultScheduleContentType is spec.schedules[].contentType's default.
	DefaultScheduleContentType = v1alpha1.DefaultScheduleContentType
)

// Default writes the App's defaults into it, so that they show in
// `kubectl get app -o yaml`: spec.build's git.revision (main), dockerfile
// (Dockerfile), context (.) and historyLimit (5), and each schedule's
// timezone (UTC) and contentType (application/json). It sets only fields
// that are empty, so applying it twice equals once, and it changes nothing
// the App runs: the builders assume the same values.
//
// spec.build.hook.branch is left alone: it follows git.revision when unset,
// and writing today's revision into it would stop it following.
func Default(app *v1alpha1.App) {
	if app == nil {
		return
	}
	if b := app.Spec.Build; b != nil {
		setString(&b.Git.Revision, DefaultBuildRevision)
		setString(&b.Dockerfile, DefaultBuildDockerfile)
		setString(&b.Context, DefaultBuildContext)
		if b.HistoryLimit == nil {
			limit := DefaultBuildHistoryLimit
			b.HistoryLimit = &limit
		}
	}
	for i := range app.Spec.Schedules {
		s := &app.Spec.Schedules[i]
		setString(&s.Timezone, DefaultScheduleTimezone)
		setString(&s.ContentType, DefaultScheduleContentType)
	}
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}
