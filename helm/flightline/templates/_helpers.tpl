{{/* Names, labels and the environment shared by the Deployment and the migration Job. */}}

{{- define "flightline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flightline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "flightline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "flightline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flightline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "flightline.labels" -}}
helm.sh/chart: {{ include "flightline.chart" . }}
{{ include "flightline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "flightline.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* A value as an environment string: YAML numbers arrive as float64 and would print as 1e+06. */}}
{{- define "flightline.envValue" -}}
{{- if kindIs "float64" . -}}{{- int64 . -}}{{- else -}}{{- toString . -}}{{- end -}}
{{- end -}}

{{/*
The non-secret environment, as JSON (use with fromJson): FLIGHTLINE_ENV, the listen address and
FLIGHTLINE__<SECTION>__<KEY> for every entry of .Values.config.
*/}}
{{- define "flightline.configEnv" -}}
{{- $env := dict "FLIGHTLINE_ENV" (toString .Values.environment) -}}
{{- $_ := set $env "FLIGHTLINE__SERVER__LISTEN" (printf "0.0.0.0:%d" (int .Values.containerPort)) -}}
{{- range $section, $keys := .Values.config -}}
{{- range $key, $value := $keys -}}
{{- $_ := set $env (printf "FLIGHTLINE__%s__%s" (upper $section) (upper $key)) (include "flightline.envValue" $value) -}}
{{- end -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/*
Secret environment variables (valueFrom.secretKeyRef) for every entry of .Values.secrets.env.
Argument: dict "root" $ "except" (list of variable names to leave out).
*/}}
{{- define "flightline.secretEnv" -}}
{{- $root := .root -}}
{{- range $name, $ref := $root.Values.secrets.env }}
{{- if not (has $name $.except) }}
{{- $optional := $ref.optional | default false }}
{{- if and $root.Values.config.database.pgbouncer (eq $name "FLIGHTLINE__DATABASE__DIRECT_URL") }}
{{- /* Behind PgBouncer the service refuses to start without it. */}}
{{- $optional = false }}
{{- end }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ default $root.Values.secrets.existingSecret $ref.secretName | quote }}
      key: {{ required (printf "secrets.env.%s.key is required" $name) $ref.key | quote }}
      optional: {{ $optional }}
{{- end }}
{{- end }}
{{- end -}}
