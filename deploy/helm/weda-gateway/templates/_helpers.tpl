{{/* The chart's name. */}}
{{- define "weda-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name alone when it already holds the chart's name. */}}
{{- define "weda-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "weda-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weda-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "weda-gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "weda-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: weda-gateway
{{- end }}

{{- define "weda-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "weda-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "weda-gateway.secretName" -}}
{{- default (include "weda-gateway.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
The plain settings as the ConfigMap holds them: the set keys of .Values.config, plus the ones the
chart derives (PORT, METRICS_ADDR, PERSISTED_QUERIES_FILE). OTEL_RESOURCE_ATTRIBUTES is left out:
the Deployment builds it with the pod's own name.
*/}}
{{- define "weda-gateway.configData" -}}
{{- $data := dict "PORT" (toString .Values.ports.http) "METRICS_ADDR" (printf "0.0.0.0:%v" .Values.ports.metrics) }}
{{- range $k, $v := .Values.config }}
{{- if and (ne $k "OTEL_RESOURCE_ATTRIBUTES") (not (kindIs "invalid" $v)) (ne (toString $v) "") }}
{{- $_ := set $data $k (toString $v) }}
{{- end }}
{{- end }}
{{- if .Values.persistedQueries.json }}
{{- $_ := set $data "PERSISTED_QUERIES_FILE" "/etc/weda-gateway/persisted-queries.json" }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* A duration such as 5s, 2m or 1m30s in whole seconds (rounded up); "" when not understood. */}}
{{- define "weda-gateway.seconds" -}}
{{- $d := toString . }}
{{- if regexMatch "^([0-9]+m)?([0-9]+s)?$" $d }}
{{- $m := regexFind "^[0-9]+m" $d | trimSuffix "m" | default "0" | atoi }}
{{- $s := regexFind "[0-9]+s$" $d | trimSuffix "s" | default "0" | atoi }}
{{- add (mul $m 60) $s }}
{{- else if regexMatch "^[0-9]+ms$" $d }}
{{- div (add (trimSuffix "ms" $d | atoi) 999) 1000 }}
{{- end }}
{{- end }}
