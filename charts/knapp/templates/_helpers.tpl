{{/*
Names are fixed ("knapp", "knapp-webhook", ...): the manager's flags and
webhooks/serve name the webhook configurations, and the webhook Secret and
Service are derived from them. Every namespaced object goes into the release
namespace.
*/}}

{{/* The helm.sh/chart label: <name>-<version>. */}}
{{- define "knapp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Labels of the manager's pods that its Deployment and Services select. */}}
{{- define "knapp.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Labels of every object: (dict "ctx" $ "component" "webhook"). */}}
{{- define "knapp.labels" -}}
helm.sh/chart: {{ include "knapp.chart" .ctx }}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The manager's image: repository@digest, or repository:tag (appVersion by default). */}}
{{- define "knapp.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/* DNS name of the webhook Service, which the certificate must cover. */}}
{{- define "knapp.webhookService" -}}
knapp-webhook.{{ .Release.Namespace }}.svc
{{- end }}

{{/* Whether knapp makes its own webhook certificates ("true" or ""). */}}
{{- define "knapp.selfSigned" -}}
{{- if and .Values.webhooks.enabled (not .Values.webhooks.certManager.enabled) }}true{{ end -}}
{{- end }}

{{/*
The objects of a file the chart copies from config/ (hack/chart-sync.sh), as
a JSON list: (dict "ctx" $ "path" "files/...") | fromJsonArray. The file is
read with .Files.Get, never through the template engine, so Argo's
parameter references in double braces stay as written.
*/}}
{{- define "knapp.configObjects" -}}
{{- $objs := list -}}
{{- range $doc := regexSplit "(?m)^---[ \\t]*$" (.ctx.Files.Get .path) -1 -}}
{{- $obj := fromYaml $doc -}}
{{- if hasKey $obj "Error" -}}
{{- fail (printf "%s: %s" $.path $obj.Error) -}}
{{- end -}}
{{- if $obj.kind -}}
{{- $objs = append $objs $obj -}}
{{- end -}}
{{- end -}}
{{- if not $objs -}}
{{- fail (printf "%s: no objects (run hack/chart-sync.sh)" .path) -}}
{{- end -}}
{{- toJson $objs -}}
{{- end }}

{{/*
An object from config/ with the chart's labels added to its own, and
optionally a namespace and annotations:
(dict "ctx" $ "obj" $obj "component" "build" "namespace" "team-a" "annotations" (dict ...)).
*/}}
{{- define "knapp.configObject" -}}
{{- $obj := deepCopy .obj -}}
{{- $meta := $obj.metadata -}}
{{- $labels := include "knapp.labels" (dict "ctx" .ctx "component" .component) | fromYaml -}}
{{- $_ := set $meta "labels" (merge $labels ($meta.labels | default dict)) -}}
{{- with .annotations -}}
{{- $_ := set $meta "annotations" (merge (deepCopy .) ($meta.annotations | default dict)) -}}
{{- end -}}
{{- with .namespace -}}
{{- $_ := set $meta "namespace" . -}}
{{- end -}}
{{- toYaml $obj -}}
{{- end }}

{{/*
The manager's arguments (cmd/knapp's flags). Ports are the flags' defaults,
spelt out so that the Services and probes visibly match them.
*/}}
{{- define "knapp.args" -}}
- --leader-elect
- --platform-config=/etc/knapp/platform/platform.yaml
- --metrics-bind-address=:8080
- --health-probe-bind-address=:8081
{{- if .Values.hooks.enabled }}
- --hook-bind-address=:{{ .Values.hooks.port }}
- --hook-max-concurrent={{ .Values.hooks.maxConcurrent }}
- --hook-builds-per-minute={{ .Values.hooks.buildsPerMinute }}
{{- else }}
- --hook-bind-address=0
{{- end }}
- {{ printf "--zap-log-level=%s" .Values.logLevel | quote }}
- --zap-encoder={{ .Values.logFormat }}
- --concurrent-reconciles={{ .Values.concurrentReconciles }}
{{- if .Values.webhooks.enabled }}
- --webhook-port=9443
- --webhook-cert-dir=/etc/knapp/webhook-certs
{{- if include "knapp.selfSigned" . }}
- --webhook-self-signed
- --webhook-secret={{ .Release.Namespace }}/knapp-webhook-cert
- --webhook-service={{ include "knapp.webhookService" . }}
{{- end }}
{{- else }}
- --enable-webhooks=false
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* Annotations of the webhook configurations: cert-manager's CA injection. */}}
{{- define "knapp.webhookAnnotations" -}}
{{- if .Values.webhooks.certManager.enabled -}}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/knapp-webhook
{{- end -}}
{{- end }}
