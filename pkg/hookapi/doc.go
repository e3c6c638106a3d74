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
//	401           no credentials, or a wrong signature or token
//	403           a push of another repository than spec.build.git.url
//	404           no such App, or the App has no spec.build.hook (one answer for both, so a caller without the secret cannot tell which Apps exist)
//	405           a method other than POST
//	409           a build of that commit exists (a replayed delivery); names the workflow
//	413           a body larger than Options.MaxBodyBytes (default 1 MiB)
//	503           the hook Secret, or its key token, is missing; or the build cannot start (the reason, such as a missing build template, is in the answer)
//	500           the cluster could not be asked; see knapp's log
//
// The handler reads the cluster and starts builds only through the Builds
// interface, and never writes an App. Server runs the handler on its own
// address as a controller-runtime Runnable on every replica.
package hookapi
