package hookapi

import "github.com/go-logr/logr"

// Defaults of Options. The API faces the internet, so each bounds what an
// unauthenticated caller can make knapp spend.
const (
	// DefaultMaxConcurrent requests are handled at once; more are answered
	// 503 at once, without reading their bodies. 32 GitHub bodies of
	// DefaultMaxGitHubBodyBytes are 32 MiB at most.
	DefaultMaxConcurrent = 32
	// DefaultMaxGitHubBodyBytes: GitHub caps payloads at 25 MB, but push
	// payloads of a few commits are a few tens of KiB.
	DefaultMaxGitHubBodyBytes = 1 << 20
	// DefaultMaxGitLabBodyBytes: as GitHub's.
	DefaultMaxGitLabBodyBytes = 1 << 20
	// DefaultMaxPlainBodyBytes: a plain body is {"revision": "..."}, at
	// most a few hundred bytes.
	DefaultMaxPlainBodyBytes = 16 << 10
	// DefaultBuildsPerMinute an App may start through the API, in bursts of
	// DefaultBuildBurst: a CI loop, or a leaked token, cannot fill the
	// cluster with builds.
	DefaultBuildsPerMinute = 6
	DefaultBuildBurst      = 3
)

// Options of the handler. Zero or negative numbers mean the defaults.
type Options struct {
	// MaxConcurrent requests are handled at once; more are answered 503
	// with Retry-After: 1.
	MaxConcurrent int
	// MaxGitHubBodyBytes, MaxGitLabBodyBytes and MaxPlainBodyBytes are the
	// largest bodies read from each kind of caller; larger ones are
	// answered 413.
	MaxGitHubBodyBytes int64
	MaxGitLabBodyBytes int64
	MaxPlainBodyBytes  int64
	// BuildsPerMinute an App may start through the API, in bursts of
	// BuildBurst; more are answered 429 with Retry-After. Every
	// authenticated call that asks StartBuild counts, a replayed delivery
	// (409) too.
	BuildsPerMinute int
	BuildBurst      int
	// Logger logs every answer; the zero Logger discards.
	Logger logr.Logger
}

// withDefaults returns o with every unset limit at its default.
func (o Options) withDefaults() Options {
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxGitHubBodyBytes <= 0 {
		o.MaxGitHubBodyBytes = DefaultMaxGitHubBodyBytes
	}
	if o.MaxGitLabBodyBytes <= 0 {
		o.MaxGitLabBodyBytes = DefaultMaxGitLabBodyBytes
	}
	if o.MaxPlainBodyBytes <= 0 {
		o.MaxPlainBodyBytes = DefaultMaxPlainBodyBytes
	}
	if o.BuildsPerMinute <= 0 {
		o.BuildsPerMinute = DefaultBuildsPerMinute
	}
	if o.BuildBurst <= 0 {
		o.BuildBurst = DefaultBuildBurst
	}
	return o
}

// maxBody is the body limit for a caller of provider p (source's names).
func (o Options) maxBody(p string) int64 {
	switch p {
	case providerGitHub:
		return o.MaxGitHubBodyBytes
	case providerGitLab:
		return o.MaxGitLabBodyBytes
	default:
		return o.MaxPlainBodyBytes
	}
}
