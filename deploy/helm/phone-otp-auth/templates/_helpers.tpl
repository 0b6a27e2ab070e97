{{/* Names and labels. */}}
{{- define "phone-otp-auth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "phone-otp-auth.fullname" -}}
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

{{- define "phone-otp-auth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "phone-otp-auth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "phone-otp-auth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The API pods: what the Deployment, Service, PDB, HPA and ServiceMonitor select (never the migration Job's pods). */}}
{{- define "phone-otp-auth.apiSelectorLabels" -}}
{{ include "phone-otp-auth.selectorLabels" . }}
app.kubernetes.io/component: api
{{- end }}

{{- define "phone-otp-auth.labels" -}}
helm.sh/chart: {{ include "phone-otp-auth.chart" . }}
{{ include "phone-otp-auth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | replace "+" "_" | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: phone-otp-auth
{{- end }}

{{- define "phone-otp-auth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "phone-otp-auth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "phone-otp-auth.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* The Secret the pods read (envFrom) and the ServiceMonitor takes METRICS_TOKEN from. */}}
{{- define "phone-otp-auth.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "phone-otp-auth.fullname" .) }}
{{- end }}

{{/* The created Secret's entries: secrets.values without the empty ones. */}}
{{- define "phone-otp-auth.secretData" -}}
{{- range $key, $value := .Values.secrets.values }}
{{- if $value }}
{{ $key }}: {{ $value | toString | b64enc }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The ConfigMap's entries: config without the empty ones. Secrets and the variables the chart sets
itself are refused.
*/}}
{{- define "phone-otp-auth.configData" -}}
{{- $secretNames := list "JWT_SECRET" "JWT_PREVIOUS_SECRET" "OTP_SECRET" "MFA_ENCRYPTION_KEY" "MFA_PREVIOUS_ENCRYPTION_KEY" "METRICS_TOKEN" "SMS_WEBHOOK_SECRET" "TWILIO_AUTH_TOKEN" "CAPTCHA_SECRET" "ADMIN_API_TOKENS" "DATABASE_URL" "REDIS_URL" }}
{{- range $key, $value := .Values.config }}
{{- if has $key $secretNames }}
{{- fail (printf "config.%s: a secret; put it in secrets.values or in secrets.existingSecret, not in the ConfigMap" $key) }}
{{- end }}
{{- if has $key (list "PORT" "DATABASE_MIGRATIONS_RUN") }}
{{- fail (printf "config.%s: set by the chart (PORT from containerPort; DATABASE_MIGRATIONS_RUN=false, the migration Job runs them)" $key) }}
{{- end }}
{{- if not (kindIs "invalid" $value) }}
{{- if ne (toString $value) "" }}
{{ $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A duration of the app's syntax (250ms, 90s, 5m, 24h, 7d) in whole seconds, rounded up.
Call with (dict "name" "config.X" "value" "10s").
*/}}
{{- define "phone-otp-auth.seconds" -}}
{{- $value := toString .value | trim }}
{{- if not (regexMatch "^[0-9]+(ms|s|m|h|d)$" $value) }}
{{- fail (printf "%s: %q is not a duration such as 250ms, 10s, 5m, 24h or 7d" .name $value) }}
{{- end }}
{{- $number := regexFind "^[0-9]+" $value | atoi }}
{{- $unit := regexReplaceAll "^[0-9]+" $value "" }}
{{- $seconds := dict "ms" (div (add $number 999) 1000) "s" $number "m" (mul $number 60) "h" (mul $number 3600) "d" (mul $number 86400) }}
{{- get $seconds $unit }}
{{- end }}

{{/* SHUTDOWN_TIMEOUT in seconds, checked against SMS_TIMEOUT. */}}
{{- define "phone-otp-auth.shutdownSeconds" -}}
{{- $shutdown := include "phone-otp-auth.seconds" (dict "name" "config.SHUTDOWN_TIMEOUT" "value" (.Values.config.SHUTDOWN_TIMEOUT | default "10s")) | atoi }}
{{- $sms := include "phone-otp-auth.seconds" (dict "name" "config.SMS_TIMEOUT" "value" (.Values.config.SMS_TIMEOUT | default "10s")) | atoi }}
{{- if le $shutdown $sms }}
{{- fail (printf "config.SHUTDOWN_TIMEOUT (%ds) must be above SMS_TIMEOUT (%ds): a send-otp waiting for the SMS provider would be cut off at every deploy" $shutdown $sms) }}
{{- end }}
{{- $shutdown }}
{{- end }}

{{/* sleep or exec, from termination.preStopAction and the cluster's version. */}}
{{- define "phone-otp-auth.preStopAction" -}}
{{- $action := .Values.termination.preStopAction }}
{{- $sleepSupported := semverCompare ">=1.30.0-0" .Capabilities.KubeVersion.Version }}
{{- if eq $action "auto" }}
{{- ternary "sleep" "exec" $sleepSupported }}
{{- else if and (eq $action "sleep") (not $sleepSupported) }}
{{- fail (printf "termination.preStopAction=sleep needs Kubernetes 1.30 or later (this is %s); use exec or auto" .Capabilities.KubeVersion.Version) }}
{{- else }}
{{- $action }}
{{- end }}
{{- end }}

{{/*
terminationGracePeriodSeconds: it counts the preStop wait and then SHUTDOWN_TIMEOUT's drain, so
it must exceed their sum; computed with a margin when not given, refused when too short.
*/}}
{{- define "phone-otp-auth.gracePeriodSeconds" -}}
{{- $preStop := int .Values.termination.preStopSeconds }}
{{- $shutdown := include "phone-otp-auth.shutdownSeconds" . | atoi }}
{{- $needed := add $preStop $shutdown }}
{{- if kindIs "invalid" .Values.termination.gracePeriodSeconds }}
{{- add $needed (int .Values.termination.marginSeconds) }}
{{- else }}
{{- $grace := int .Values.termination.gracePeriodSeconds }}
{{- if le $grace $needed }}
{{- fail (printf "termination.gracePeriodSeconds (%d) must exceed termination.preStopSeconds (%d) + config.SHUTDOWN_TIMEOUT (%ds) = %d, or the kubelet kills pods still draining; leave it empty to compute it" $grace $preStop $shutdown $needed) }}
{{- end }}
{{- $grace }}
{{- end }}
{{- end }}

{{/* Pod securityContext and image pull secrets, shared by the Deployment and the migration Job. */}}
{{- define "phone-otp-auth.podCommon" -}}
{{- with .Values.podSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
