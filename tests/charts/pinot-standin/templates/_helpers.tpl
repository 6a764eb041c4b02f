{{/* Names and labels as the Apache Pinot chart 1.0.0 makes them (its _helpers.tpl). */}}
{{- define "pinot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pinot.fullname" -}}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "pinot.matchLabels" -}}
app: {{ include "pinot.name" . }}
release: {{ .Release.Name }}
{{- range $key, $value := .Values.additionalMatchLabels }}
{{ $key }}: {{ $value }}
{{- end }}
{{- end }}

{{- define "pinot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pinot.matchLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
heritage: {{ .Release.Service }}
{{- end }}

{{- define "pinot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pinot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pinot.zookeeper.fullname" -}}
{{- printf "%s-zookeeper" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "zookeeper.url" }}
{{- if .Values.zookeeper.enabled -}}
{{- printf "%s:%s" (include "pinot.zookeeper.fullname" .) (.Values.zookeeper.port | toString) }}
{{- else -}}
{{- required "Missing 'zookeeper.urlOverride' entry zookeeper is disabled!" .Values.zookeeper.urlOverride }}
{{- end -}}
{{- end -}}

{{/*
A volume claim template as the real chart writes it: storageClass "" = the
cluster's default class, "-" = no class, else that class.
Call with (dict "name" "data" "p" .Values.<component>.persistence "size" <size>).
*/}}
{{- define "pinot.standin.claim" -}}
- metadata:
    name: {{ .name }}
  spec:
    accessModes:
      - {{ .p.accessMode | quote }}
    {{- if .p.storageClass }}
    {{- if eq "-" .p.storageClass }}
    storageClassName: ""
    {{- else }}
    storageClassName: {{ .p.storageClass }}
    {{- end }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size | quote }}
{{- end -}}

{{/*
One Pinot component's StatefulSet. Call with (dict "root" $ "c" .Values.<section>
"component" <label> "persistent" <bool>). No container ever runs in the test
harness (kwok fakes the pods), so the image is never pulled.
*/}}
{{- define "pinot.standin.statefulset" -}}
{{- $root := .root -}}
{{- $fullname := printf "%s-%s" (include "pinot.fullname" $root) .c.name -}}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "pinot.labels" $root | nindent 4 }}
    component: {{ .component }}
spec:
  selector:
    matchLabels:
      {{- include "pinot.matchLabels" $root | nindent 6 }}
      component: {{ .component }}
  serviceName: {{ $fullname }}-headless
  replicas: {{ .c.replicaCount }}
  podManagementPolicy: Parallel
  updateStrategy:
    type: RollingUpdate
  template:
    metadata:
      labels:
        {{- include "pinot.labels" $root | nindent 8 }}
        component: {{ .component }}
    spec:
      terminationGracePeriodSeconds: {{ $root.Values.terminationGracePeriodSeconds }}
      serviceAccountName: {{ include "pinot.serviceAccountName" $root }}
      containers:
        - name: {{ .component }}
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          env:
            - name: JAVA_OPTS
              value: {{ .c.jvmOpts | quote }}
            - name: PINOT_CLUSTER_NAME
              value: {{ $root.Values.cluster.name | quote }}
            - name: PINOT_ZK_URL
              value: {{ include "zookeeper.url" $root | quote }}
          resources:
            {{- toYaml .c.resources | nindent 12 }}
          {{- if .persistent }}
          volumeMounts:
            - name: data
              mountPath: /var/pinot/{{ .component }}/data
          {{- end }}
  {{- if and .persistent .c.persistence.enabled }}
  volumeClaimTemplates:
    {{- include "pinot.standin.claim" (dict "name" "data" "p" .c.persistence "size" .c.persistence.size) | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
A ClusterIP Service, its headless twin and, when enabled, the external LoadBalancer one.
Call with (dict "root" $ "c" .Values.<section> "component" <label> "ports" (list (dict "name" .. "port" ..))).
*/}}
{{- define "pinot.standin.services" -}}
{{- $root := .root -}}
{{- $fullname := printf "%s-%s" (include "pinot.fullname" $root) .c.name -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "pinot.labels" $root | nindent 4 }}
    component: {{ .component }}
spec:
  type: ClusterIP
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      {{- if .targetPort }}
      targetPort: {{ .targetPort }}
      {{- end }}
    {{- end }}
  selector:
    {{- include "pinot.matchLabels" $root | nindent 4 }}
    component: {{ .component }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-headless
  labels:
    {{- include "pinot.labels" $root | nindent 4 }}
    component: {{ .component }}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  ports:
    {{- range .ports }}
    - name: {{ .name }}
      port: {{ .port }}
      {{- if .targetPort }}
      targetPort: {{ .targetPort }}
      {{- end }}
    {{- end }}
  selector:
    {{- include "pinot.matchLabels" $root | nindent 4 }}
    component: {{ .component }}
{{- if and .c.external .c.external.enabled }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}-external
  labels:
    {{- include "pinot.labels" $root | nindent 4 }}
    component: {{ .component }}
spec:
  type: {{ .c.external.type }}
  ports:
    - name: external-{{ .component }}
      port: {{ .c.external.port }}
  selector:
    {{- include "pinot.matchLabels" $root | nindent 4 }}
    component: {{ .component }}
{{- end }}
{{- end -}}
