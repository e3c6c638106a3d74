// Package hookapi is knapp's build hook HTTP API: a git server (GitHub,
// GitLab) or a plain HTTP call starts a build of an App that has
// spec.build.hook, by
//
//	POST /hooks/v1/namespaces/{namespace}/apps/{name}/builds
//
// The caller proves it knows the App's hook token, the key "token" of the
// Secret spec.build.hook.secretName in the App's namespace:
//
//   - GitHub (X-GitHub-Event: push or ping) signs the raw body:
//     X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>. The
//     webhook's content type may be application/json or
//     application/x-www-form-urlencoded.
//   - GitLab (X-Gitlab-Event: Push Hook) sends the token itself:
//     X-Gitlab-Token: <token>.
//   - Any other caller sends Authorization: Bearer <token> and the body
//     {"revision": "<commit or branch>"}; without a revision the App's
//     spec.build.git.revision (default main) is built.
//
// A push starts a build of the pushed commit when its repository is the
// App's spec.build.git.url (compared by host and path, whatever the URL
// form) and its branch is spec.build.hook.branch (default
// spec.build.git.revision, default main); pushes to other branches, pushes
// of tags in GitHub's push event and deletions of branches are answered 200
// "ignored". A plain call builds the revision it names, of any branch.
//
// Every answer is JSON: {"status": ...} for 2xx answers and
// {"error": "<what to do>"} otherwise:
//
//	202 started   a build Workflow was created: {"status":"started","workflow":...,"commit":...}
//	200 ignored   a push that starts nothing: {"status":"ignored","reason":...}
//	200 pong      GitHub's ping, once its signature is right
//	400           unsupported event, malformed payload, no ref or commit
//	401           no credentials; or a wrong signature or token, no such App, an App without spec.build.hook, a missing or empty hook Secret: one answer for all of these, so a caller without the token cannot tell which Apps exist (knapp's log says which, at V(1))
//	403           a push of another repository than spec.build.git.url
//	404           a path that can name no App (an invalid namespace or name)
//	405           a method other than POST
//	409           a build of that commit exists (a replayed delivery); names the workflow
//	413           a body, or a Content-Length, over the caller's limit (Options.MaxGitHubBodyBytes, MaxGitLabBodyBytes: 1 MiB; MaxPlainBodyBytes: 16 KiB)
//	429           the App started builds faster than Options.BuildsPerMinute (6, bursts of BuildBurst 3) allow; Retry-After says when to try again
//	503           Options.MaxConcurrent (32) requests are in flight, answered at once with Retry-After: 1; or the build cannot start (the reason, such as a missing build template, is in the answer)
//	500           the cluster could not be asked; see knapp's log
//
// What a caller without the token can make knapp spend is bounded: no
// body is read before the path names an App with hooks and the credential
// header is there (a GitHub delivery's body is read, up to its limit,
// before its signature can be checked, App or not, so that an unknown App
// and a wrong signature take the same work); the App and the token come
// from caches; and MaxConcurrent requests at most are handled at once.
//
// The handler reads the cluster and starts builds only through the Builds
// interface, and never writes an App. Server runs the handler on its own
// address as a controller-runtime Runnable on every replica.
package hookapi
