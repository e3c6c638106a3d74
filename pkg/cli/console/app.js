// The knapp console: hash routes #/ (every namespace's Apps), #/<ns>
// (one namespace's) and #/<ns>/<app> (an App, live). Every request goes to
// this console's own server, which reads and writes with the caller's
// kubeconfig; writes carry X-Knapp-Console, which cross-site forms cannot.
"use strict";

let stream = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function api(path, opts) {
  const res = await fetch(path, opts);
  const body = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

function route() {
  if (stream) { stream.close(); stream = null; }
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  document.getElementById("where").textContent = parts.join(" / ");
  if (parts.length === 2) return showApp(parts[0], parts[1]);
  return showApps(parts[0] || "");
}

// showApps draws the Apps of ns (or of every namespace) each time their
// watch says one changed, came or went.
function showApps(ns) {
  const main = document.getElementById("main");
  const body = el("div", { id: "apps" }, el("p", { class: "muted", text: "Loading the Apps…" }));
  main.replaceChildren(el("h1", { text: ns ? "Apps in " + ns : "Apps" }),
    el("p", {}, ns ? el("a", { href: "#/", text: "all namespaces" }) : el("span", { class: "muted", text: "every namespace you may list" })),
    body, el("p", { id: "notice" }));
  watch("/api/apps/watch" + (ns ? "?namespace=" + encodeURIComponent(ns) : ""), (data) => drawApps(body, data.apps));
}

function drawApps(body, apps) {
  const rows = apps.map((a) => el("tr", { "data-app": a.namespace + "/" + a.name },
    el("td", { text: a.namespace }),
    el("td", {}, el("a", { href: "#/" + a.namespace + "/" + a.name, text: a.name })),
    el("td", { class: "ready-" + a.ready, text: a.ready + " (" + a.reason + ")" }),
    el("td", { class: "traffic", text: a.traffic }),
    el("td", { text: a.rollout ? a.rollout.phase + (a.rollout.steps && a.rollout.steps.length ? " " + a.rollout.step + "/" + a.rollout.steps.length : "") : "-" })));
  body.replaceChildren(el("table", {}, el("tr", {}, ...["Namespace", "App", "Ready", "Traffic", "Rollout"].map((h) => el("th", { text: h }))), ...rows));
}

// showApp draws the App each time its watch says it changed; the notice
// of the last action stays across redraws.
function showApp(ns, name) {
  const main = document.getElementById("main");
  const body = el("div", { id: "app" }, el("p", { class: "muted", text: "Loading " + ns + "/" + name + "…" }));
  main.replaceChildren(body, el("p", { id: "notice" }));
  watch("/api/apps/" + encodeURIComponent(ns) + "/" + encodeURIComponent(name) + "/watch", (a) => drawApp(body, a),
    () => body.replaceChildren(el("p", { class: "error", text: "The App was deleted." })));
}

// watch follows a stream of the console's server; when the server refuses
// or ends it, it says so and tries again, as the page stays open.
function watch(url, draw, deleted) {
  const source = new EventSource(url);
  stream = source;
  source.onopen = () => {
    const notice = document.getElementById("notice");
    if (notice.textContent.startsWith("Live updates")) notice.textContent = "";
  };
  source.onmessage = (ev) => draw(JSON.parse(ev.data));
  if (deleted) source.addEventListener("deleted", deleted);
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED || stream !== source) return;
    const notice = document.getElementById("notice");
    notice.textContent = "Live updates stopped; retrying…";
    // An EventSource does not tell why it was refused; the same read
    // without the stream does (e.g. not allowed to list Apps there).
    api(url.replace(/\/watch(\?|$)/, "$1")).catch((e) => { notice.textContent = "Live updates refused: " + e.message + "; retrying…"; });
    setTimeout(() => { if (stream === source) watch(url, draw, deleted); }, 2000);
  };
}

// drawApp draws the App; each revision's bar is its share as Knative
// routes it, and, while knapp asks for another split (Knative's Route is
// not ready), a dashed bar and "asked N%" show that one.
function drawApp(main, a) {
  const asking = a.revisions.some((r) => r.asked !== undefined);
  const revisions = a.revisions.map((r) => {
    const fill = el("div", { class: "now" });
    fill.style.width = r.percent + "%";
    const bar = el("div", { class: "bar" }, fill);
    if (asking) {
      const want = el("div", { class: "asked-fill" });
      want.style.width = (r.asked || 0) + "%";
      bar.append(want);
    }
    const canary = r.name === a.canary || (r.tags && r.tags.includes("canary"));
    return el("div", { class: "revision" + (canary ? " canary" : ""), "data-name": r.name },
      el("span", { class: "name", text: r.name }), bar,
      el("span", { class: "percent", text: r.percent + "%" }),
      el("span", {}, asking ? el("span", { class: "asked", text: "asked " + (r.asked || 0) + "%" }) : "",
        ...(r.tags || []).map((t) => el("span", { class: "tag", text: t }))));
  });
  const traffic = [el("h2", { text: "Traffic" })];
  if (asking) traffic.push(el("p", { class: "muted", text: "Knative does not route the split knapp asks for yet (see Ready): bars show what it routes now, dashed bars what is asked." }));
  const parts = [
    el("h1", { text: a.namespace + "/" + a.name }),
    el("p", {}, el("span", { class: "ready ready-" + a.ready, text: a.ready + " (" + a.reason + ")" }), " ", el("span", { class: "muted", text: a.message || "" })),
    el("p", {}, a.url ? el("a", { href: a.url, text: a.url }) : el("span", { class: "muted", text: "no URL yet" })),
    actions(a),
    ...traffic, el("div", { id: "traffic" }, ...revisions),
  ];
  if (a.rules && a.rules.length) parts.push(el("h2", { text: "Match rules (to the canary)" }), el("ol", {}, ...a.rules.map((r) => el("li", { text: r }))));
  if (a.rollout) parts.push(...rollout(a.rollout));
  if (a.builds && a.builds.length) {
    parts.push(el("h2", { text: "Builds" }), el("table", {},
      el("tr", {}, ...["Workflow", "Trigger", "Revision", "Phase", "Took"].map((h) => el("th", { text: h }))),
      ...a.builds.map((b) => el("tr", {}, ...[b.workflow, b.trigger, b.revision, b.phase, b.took || "-"].map((t) => el("td", { text: t || "-" }))))));
  }
  main.replaceChildren(...parts);
}

function rollout(r) {
  const steps = (r.steps || []).map((s, i) => el("div", { class: "step " + s.state },
    el("div", { text: "Step " + (i + 1) }), el("strong", { text: s.percent + "%" }), el("div", { class: "muted", text: s.pause })));
  const out = [el("h2", { text: "Rollout: " + r.phase }), el("p", { class: "muted", text: r.message }), el("div", { class: "ladder" }, ...steps)];
  if (r.analyses && r.analyses.length) {
    out.push(el("table", {}, el("tr", {}, ...["Check", "Canary", "Stable", "Threshold", "Verdict"].map((h) => el("th", { text: h }))),
      ...r.analyses.map((x) => el("tr", {}, ...[x.metric, x.value, x.stable, x.threshold, x.verdict].map((t) => el("td", { text: t || "-" }))))));
  }
  return out;
}

function actions(a) {
  const notice = document.getElementById("notice");
  const force = el("input", { type: "checkbox", id: "force" });
  const act = (action) => async () => {
    notice.className = "";
    notice.textContent = action + "…";
    const q = force.checked ? "?force=true" : "";
    try {
      const res = await api("/api/apps/" + encodeURIComponent(a.namespace) + "/" + encodeURIComponent(a.name) + "/" + action + q,
        { method: "POST", headers: { "X-Knapp-Console": "1" } });
      notice.textContent = res.message;
    } catch (e) {
      notice.className = "error";
      notice.textContent = e.message;
    }
  };
  const buttons = [];
  if (a.canary) buttons.push(el("button", { class: "primary", id: "promote", text: "Promote " + a.canary }));
  buttons.push(el("button", { id: "rollback", text: "Roll back to " + (a.stable || "the stable") }));
  if (a.rollout && (a.rollout.phase === "Progressing" || a.rollout.phase === "Paused")) {
    buttons.push(el("button", { id: a.rollout.phase === "Paused" ? "resume" : "pause", text: a.rollout.phase === "Paused" ? "Resume" : "Pause" }));
  }
  for (const b of buttons) b.addEventListener("click", act(b.id));
  const box = el("div", { class: "actions" }, ...buttons);
  if (a.argoCD) box.append(el("label", { class: "muted" }, force, " force: Argo CD manages this App (" + a.argoCD + "); its git repository is the place to change it"));
  return box;
}

window.addEventListener("hashchange", route);
route();
