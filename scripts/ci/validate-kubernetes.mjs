// Validates rendered Kubernetes manifests (scripts/ci/check-kubernetes.sh copies this file next to
// the node_modules it installs and runs it there, so the bare imports below resolve):
//
// 1. YAML: strict parse, duplicate keys refused;
// 2. schema: every object through the JSON-schema validator of its kind (kubernetes-models, and
//    @kubernetes-models/prometheus-operator for ServiceMonitor); a kind with no schema fails;
// 3. strict types: every object as a typed TypeScript literal checked by tsc, which refuses unknown
//    fields (a misspelled `readinesProbe` passes the JSON schemas, which allow extra properties);
// 4. invariants of this chart: probes, non-root, read-only root filesystem, no privilege escalation,
//    terminationGracePeriodSeconds > preStop + SHUTDOWN_TIMEOUT, the migration hook, HPA/PDB/Service/
//    ServiceMonitor wiring, no secret in the ConfigMap.
//
// Usage: node validate-kubernetes.mjs [--expect KIND,...] [--absent KIND,...] LABEL=FILE ...
//        node validate-kubernetes.mjs --boot FILE   (runs the render's migration Job command and
//        the app with its environment against a local PostgreSQL; see boot() below)
//        node validate-kubernetes.mjs --self-test LABEL=FILE   (breaks a good render on purpose, one
//        way at a time, and fails unless each break is reported)
// --expect/--absent apply to the LABEL=FILE arguments after them. Exits 1 on any finding.
/* global AbortSignal */
import { Buffer } from 'node:buffer';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));

// --- models -------------------------------------------------------------------------------------

/** The module of a kind's model class and TypeScript interface. */
function modelModule(apiVersion, kind) {
  if (apiVersion === 'monitoring.coreos.com/v1') {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  }
  return apiVersion === 'v1' ? `kubernetes-models/v1/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
}

const modelCache = new Map();
async function loadModel(apiVersion, kind) {
  const id = modelModule(apiVersion, kind);
  if (!modelCache.has(id)) {
    modelCache.set(
      id,
      import(id).then(
        (module) => module[kind],
        () => undefined,
      ),
    );
  }
  return modelCache.get(id);
}

// --- helpers ------------------------------------------------------------------------------------

const DURATION_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** The app's duration syntax (src/config/duration.ts), in seconds; undefined when not one. */
function durationSeconds(value) {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(String(value).trim());
  return match ? (Number(match[1]) * DURATION_MS[match[2]]) / 1000 : undefined;
}

const SECRET_KEYS = [
  'JWT_SECRET',
  'JWT_PREVIOUS_SECRET',
  'OTP_SECRET',
  'MFA_ENCRYPTION_KEY',
  'MFA_PREVIOUS_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'SMS_WEBHOOK_SECRET',
  'TWILIO_AUTH_TOKEN',
  'CAPTCHA_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const id = (o) => `${o.kind}/${o.metadata?.name ?? '?'}`;
const matches = (selector = {}, labels = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

// --- checks -------------------------------------------------------------------------------------

/** Checks one render (a list of objects); returns findings as strings. */
async function checkRender(objects, { expect = [], absent = [] } = {}) {
  const findings = [];
  const fail = (object, message) => findings.push(object ? `${id(object)}: ${message}` : message);

  // Schema of each object, names and labels.
  for (const object of objects) {
    if (!object || typeof object !== 'object' || !object.apiVersion || !object.kind) {
      fail(null, `a document without apiVersion/kind: ${JSON.stringify(object).slice(0, 80)}`);
      continue;
    }
    const Model = await loadModel(object.apiVersion, object.kind);
    if (!Model) {
      fail(object, `no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      fail(object, `schema: ${error.message}`);
    }
    const name = object.metadata?.name ?? '';
    const maxLength = ['Service', 'Job'].includes(object.kind) ? 63 : 253;
    const pattern = object.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
    if (!pattern.test(name) || name.length > maxLength) fail(object, `invalid name "${name}"`);
    const labelSets = [object.metadata?.labels, object.spec?.template?.metadata?.labels];
    for (const [key, value] of labelSets.flatMap((labels) => Object.entries(labels ?? {}))) {
      if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
        fail(object, `invalid label value ${key}=${JSON.stringify(value)}`);
      }
    }
  }
  const seen = new Set();
  for (const object of objects) {
    const key = `${object.apiVersion} ${id(object)}`;
    if (seen.has(key)) fail(object, 'rendered twice');
    seen.add(key);
  }

  const kinds = (kind) => objects.filter((o) => o.kind === kind);
  for (const kind of expect) if (!kinds(kind).length) fail(null, `no ${kind} rendered`);
  for (const kind of absent) if (kinds(kind).length) fail(null, `${kind} rendered but should not be`);

  const configMaps = new Map(kinds('ConfigMap').map((o) => [o.metadata.name, o]));
  const secrets = new Map(kinds('Secret').map((o) => [o.metadata.name, o]));
  for (const cm of configMaps.values()) {
    for (const key of Object.keys(cm.data ?? {})) {
      if (SECRET_KEYS.includes(key)) fail(cm, `holds the secret ${key}`);
      if (key === 'DATABASE_MIGRATIONS_RUN') fail(cm, 'sets DATABASE_MIGRATIONS_RUN (the Deployment must)');
    }
  }

  const deployments = kinds('Deployment');
  if (deployments.length !== 1) fail(null, `${deployments.length} Deployments rendered, expected 1`);
  const deployment = deployments[0];
  const podLabels = deployment?.spec?.template?.metadata?.labels ?? {};
  const app = deployment?.spec?.template?.spec?.containers?.[0];

  if (deployment) {
    const pod = deployment.spec.template.spec;
    if (!matches(deployment.spec.selector?.matchLabels, podLabels))
      fail(deployment, 'selector does not match its pods');
    checkPodSecurity(deployment, pod, fail);
    if (pod.automountServiceAccountToken !== false) fail(deployment, 'automountServiceAccountToken is not false');
    for (const container of pod.containers) {
      const r = container.resources ?? {};
      if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory) {
        fail(deployment, `container ${container.name}: resources.requests.cpu/memory and limits.memory must be set`);
      }
    }

    // Probes.
    const portNames = new Set((app.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
    const probe = (field, path) => {
      const p = app[field];
      if (!p) return fail(deployment, `no ${field}`);
      if (p.httpGet?.path !== path) fail(deployment, `${field} is not GET ${path} (${JSON.stringify(p.httpGet)})`);
      else if (!portNames.has(p.httpGet.port))
        fail(deployment, `${field} port ${p.httpGet.port} is not a container port`);
    };
    probe('livenessProbe', '/health/live');
    probe('readinessProbe', '/health/ready');
    probe('startupProbe', '/health/live');

    // Environment: what the chart forces, and what the pods read from where.
    const env = Object.fromEntries((app.env ?? []).map((e) => [e.name, e]));
    if (env.DATABASE_MIGRATIONS_RUN?.value !== 'false')
      fail(deployment, 'DATABASE_MIGRATIONS_RUN is not "false" in env');
    const fromConfigMaps = (app.envFrom ?? []).filter((e) => e.configMapRef).map((e) => e.configMapRef.name);
    const fromSecrets = (app.envFrom ?? []).filter((e) => e.secretRef).map((e) => e.secretRef.name);
    for (const name of fromConfigMaps)
      if (!configMaps.has(name)) fail(deployment, `envFrom ConfigMap ${name} is not rendered`);
    if (fromSecrets.length !== 1) fail(deployment, `reads ${fromSecrets.length} Secrets through envFrom, expected 1`);
    const setting = (name) =>
      env[name]?.value ?? fromConfigMaps.map((cm) => configMaps.get(cm)?.data?.[name]).find((v) => v !== undefined);

    // Termination: the grace period must cover the preStop wait and then the drain.
    const shutdownValue = setting('SHUTDOWN_TIMEOUT') ?? '10s';
    const shutdown = durationSeconds(shutdownValue);
    if (shutdown === undefined) fail(deployment, `SHUTDOWN_TIMEOUT "${shutdownValue}" is not a duration`);
    const sms = durationSeconds(setting('SMS_TIMEOUT') ?? '10s');
    if (shutdown !== undefined && !(shutdown > sms))
      fail(deployment, `SHUTDOWN_TIMEOUT ${shutdown}s is not above SMS_TIMEOUT ${sms}s`);
    const preStop = app.lifecycle?.preStop;
    let preStopSeconds;
    if (preStop?.sleep) preStopSeconds = preStop.sleep.seconds;
    else if (preStop?.exec) {
      const [binary, ...args] = preStop.exec.command ?? [];
      const ms = /setTimeout\([^,]*,\s*(\d+)\s*\)/.exec(args.join(' '))?.[1];
      if (binary !== 'node' || ms === undefined) {
        fail(
          deployment,
          `preStop exec ${JSON.stringify(preStop.exec.command)} is not node -e "setTimeout(…, ms)" (a slim image has no sleep binary)`,
        );
      } else preStopSeconds = Number(ms) / 1000;
    } else fail(deployment, 'no preStop sleep or exec hook');
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds;
    if (typeof grace !== 'number') fail(deployment, 'terminationGracePeriodSeconds is not set');
    else if (preStopSeconds !== undefined && shutdown !== undefined && !(grace > preStopSeconds + shutdown)) {
      fail(
        deployment,
        `terminationGracePeriodSeconds ${grace} is not above preStop ${preStopSeconds}s + SHUTDOWN_TIMEOUT ${shutdown}s`,
      );
    }

    // Scaling.
    const hpas = kinds('HorizontalPodAutoscaler');
    for (const hpa of hpas) {
      const target = hpa.spec.scaleTargetRef;
      if (target.kind !== 'Deployment' || target.name !== deployment.metadata.name)
        fail(hpa, 'does not target the Deployment');
      if (hpa.spec.minReplicas > hpa.spec.maxReplicas) fail(hpa, 'minReplicas above maxReplicas');
      const usesCpu = (hpa.spec.metrics ?? []).some((m) => m.resource?.name === 'cpu');
      if (usesCpu && !app.resources?.requests?.cpu) fail(hpa, 'scales on CPU but the pods request none');
    }
    if (hpas.length && deployment.spec.replicas !== undefined) {
      fail(deployment, 'sets replicas while an HPA scales it (each upgrade would reset the HPA)');
    }
    for (const pdb of kinds('PodDisruptionBudget')) {
      if (!matches(pdb.spec.selector?.matchLabels, podLabels)) fail(pdb, 'selector does not match the pods');
      if ((pdb.spec.minAvailable === undefined) === (pdb.spec.maxUnavailable === undefined)) {
        fail(pdb, 'needs exactly one of minAvailable and maxUnavailable');
      }
    }

    // Service and ServiceMonitor.
    const services = kinds('Service');
    for (const service of services) {
      if (!matches(service.spec.selector, podLabels)) fail(service, 'selector does not match the pods');
      for (const port of service.spec.ports) {
        if (!portNames.has(port.targetPort)) fail(service, `targetPort ${port.targetPort} is not a container port`);
      }
    }
    for (const monitor of kinds('ServiceMonitor')) {
      const scraped = services.filter((s) => matches(monitor.spec.selector?.matchLabels, s.metadata.labels));
      if (!scraped.length) fail(monitor, 'selects no rendered Service');
      for (const endpoint of monitor.spec.endpoints ?? []) {
        if (!scraped.some((s) => s.spec.ports.some((p) => p.name === endpoint.port))) {
          fail(monitor, `endpoint port ${endpoint.port} is not a port name of the Service`);
        }
        if (endpoint.path !== '/metrics') fail(monitor, `endpoint path ${endpoint.path} is not /metrics`);
        const credentials = endpoint.authorization?.credentials;
        if (endpoint.authorization?.type !== 'Bearer' || credentials?.key !== 'METRICS_TOKEN') {
          fail(monitor, 'does not send the METRICS_TOKEN bearer');
        } else if (!fromSecrets.includes(credentials.name)) {
          fail(monitor, `takes METRICS_TOKEN from Secret ${credentials.name}, the pods from ${fromSecrets.join(', ')}`);
        } else if (secrets.has(credentials.name) && !secrets.get(credentials.name).data?.METRICS_TOKEN) {
          fail(monitor, `Secret ${credentials.name} has no METRICS_TOKEN`);
        }
      }
    }
  }

  // The migration Job: a pre-install/pre-upgrade hook in the same image, never retried in parallel.
  for (const job of kinds('Job')) {
    const hooks = (job.metadata.annotations?.['helm.sh/hook'] ?? '').split(',');
    if (!hooks.includes('pre-install') || !hooks.includes('pre-upgrade'))
      fail(job, 'is not a pre-install,pre-upgrade hook');
    const pod = job.spec.template.spec;
    if (pod.restartPolicy !== 'Never') fail(job, 'restartPolicy is not Never');
    if ((job.spec.parallelism ?? 1) !== 1) fail(job, 'parallelism is not 1 (the migrations take no lock)');
    checkPodSecurity(job, pod, fail);
    const jobLabels = job.spec.template.metadata?.labels ?? {};
    const selectors = [
      ...deployments.map((d) => [d, d.spec.selector?.matchLabels]),
      ...kinds('Service').map((s) => [s, s.spec.selector]),
      ...kinds('PodDisruptionBudget').map((p) => [p, p.spec.selector?.matchLabels]),
    ];
    for (const [selecting, selector] of selectors) {
      if (matches(selector, jobLabels)) fail(job, `its pods match the selector of ${id(selecting)}`);
    }
    const container = pod.containers[0];
    if (app && container.image !== app.image)
      fail(job, `image ${container.image} is not the Deployment's ${app.image}`);
    if (!container.command?.length) fail(job, 'has no command');
    if (!(container.env ?? []).some((e) => e.name === 'DATABASE_URL' && e.valueFrom?.secretKeyRef)) {
      fail(job, 'does not read DATABASE_URL from a Secret');
    }
    // A pre-install hook runs before the release's own objects exist: whatever it uses from the
    // chart must be a hook too, created before it.
    const used = [['ServiceAccount', pod.serviceAccountName]];
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const e of c.env ?? []) {
        used.push(['Secret', e.valueFrom?.secretKeyRef?.name], ['ConfigMap', e.valueFrom?.configMapKeyRef?.name]);
      }
      for (const e of c.envFrom ?? []) used.push(['Secret', e.secretRef?.name], ['ConfigMap', e.configMapRef?.name]);
    }
    for (const v of pod.volumes ?? []) used.push(['Secret', v.secret?.secretName], ['ConfigMap', v.configMap?.name]);
    const weight = (o) => Number(o.metadata.annotations?.['helm.sh/hook-weight'] ?? 0);
    for (const [kind, name] of used.filter(([, name]) => name)) {
      const dependency = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!dependency) continue; // not the chart's: it exists before the install (existingSecret, default)
      if (!(dependency.metadata.annotations?.['helm.sh/hook'] ?? '').split(',').includes('pre-install')) {
        fail(job, `uses ${kind} ${name}, which is created only after the pre-install hooks have run`);
      } else if (!(weight(dependency) < weight(job))) {
        fail(job, `uses ${kind} ${name}, which is not created before it (helm.sh/hook-weight)`);
      }
    }
  }
  return findings;
}

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities, /tmp writable. */
function checkPodSecurity(owner, pod, fail) {
  const podContext = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail(owner, 'shares a host namespace');
  if ((pod.volumes ?? []).some((v) => v.hostPath)) fail(owner, 'mounts a hostPath');
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const c = container.securityContext ?? {};
    const where = `container ${container.name}`;
    if ((c.runAsNonRoot ?? podContext.runAsNonRoot) !== true) fail(owner, `${where}: runAsNonRoot is not true`);
    const uid = c.runAsUser ?? podContext.runAsUser;
    if (uid !== undefined && !(uid > 0)) fail(owner, `${where}: runAsUser ${uid} is root`);
    if (uid === undefined) fail(owner, `${where}: no numeric runAsUser (runAsNonRoot cannot check a named USER)`);
    if (c.readOnlyRootFilesystem !== true) fail(owner, `${where}: readOnlyRootFilesystem is not true`);
    if (c.allowPrivilegeEscalation !== false) fail(owner, `${where}: allowPrivilegeEscalation is not false`);
    if (c.privileged) fail(owner, `${where}: privileged`);
    if (!(c.capabilities?.drop ?? []).includes('ALL')) fail(owner, `${where}: capabilities.drop lacks ALL`);
    if ((c.capabilities?.add ?? []).length) fail(owner, `${where}: adds capabilities`);
    const seccomp = (c.seccompProfile ?? podContext.seccompProfile)?.type;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) fail(owner, `${where}: seccompProfile is ${seccomp}`);
    const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
    const volume = tmp && (pod.volumes ?? []).find((v) => v.name === tmp.name);
    if (!volume?.emptyDir) fail(owner, `${where}: /tmp is not an emptyDir (the root filesystem is read-only)`);
  }
}

// --- strict types through tsc -------------------------------------------------------------------

/** Writes `value` as a TypeScript literal, one property per line, remembering each line's path. */
function literal(value, path, lines, indent) {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value) || (value && typeof value === 'object')) {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    lines[lines.length - 1].text += open;
    for (const [key, item] of entries) {
      const itemPath = `${path}/${key}`;
      lines.push({ text: `${pad}  ${Array.isArray(value) ? '' : `${JSON.stringify(key)}: `}`, path: itemPath });
      literal(item, itemPath, lines, indent + 1);
      lines[lines.length - 1].text += ',';
    }
    lines.push({ text: `${pad}${close}`, path });
  } else {
    lines[lines.length - 1].text += JSON.stringify(value);
  }
}

function typeCheck(renders) {
  const imports = new Map();
  const lines = [];
  const owners = [];
  renders.forEach(({ label, objects }) =>
    objects.forEach((object, n) => {
      const module = modelModule(object.apiVersion, object.kind);
      const type = `I${object.kind}_${imports.size}`;
      if (!imports.has(module)) imports.set(module, { type, kind: object.kind });
      const first = lines.length;
      lines.push({ text: `export const m${owners.length}: ${imports.get(module).type} = `, path: '' });
      literal(object, '', lines, 0);
      lines[lines.length - 1].text += ';';
      owners.push({ first, last: lines.length - 1, name: `${label}: ${id(object)} (document ${n + 1})` });
    }),
  );
  const header = [...imports].map(
    ([module, { type, kind }]) => `import type { I${kind} as ${type} } from '${module}';`,
  );
  const dir = join(here, `.typecheck-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifests.ts'), [...header, ...lines.map((l) => l.text)].join('\n') + '\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'node20',
        moduleResolution: 'node16',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['manifests.ts'],
    }),
  );
  let output = '';
  try {
    execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  } catch (error) {
    output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    if (!output.trim()) throw error;
  }
  rmSync(dir, { recursive: true, force: true });
  const findings = [];
  for (const line of output.split('\n').filter((l) => l.trim())) {
    const match = /manifests\.ts\((\d+),\d+\): error TS\d+: (.*)$/.exec(line);
    if (!match) {
      if (!/^\s/.test(line)) findings.push(`tsc: ${line}`);
      continue;
    }
    const index = Number(match[1]) - 1 - header.length;
    const owner = owners.find((o) => index >= o.first && index <= o.last);
    findings.push(`${owner?.name ?? 'manifests.ts'}: types at ${lines[index]?.path || '/'}: ${match[2]}`);
  }
  return findings;
}

// --- input --------------------------------------------------------------------------------------

function readRender(file) {
  const findings = [];
  const objects = [];
  const text = readFileSync(file, 'utf8');
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, strict: true, prettyErrors: true })) {
    for (const problem of [...doc.errors, ...doc.warnings]) findings.push(`YAML: ${problem.message.split('\n')[0]}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objects.push(value);
  }
  return { objects, findings };
}

// --- self-test: each way of breaking a good render must be reported -----------------------------

const pick = (objects, kind) => objects.find((o) => o.kind === kind);
const appOf = (objects) => pick(objects, 'Deployment').spec.template.spec.containers[0];
const BREAKS = [
  ['a misspelled field', (o) => (appOf(o).readinesProbe = appOf(o).readinessProbe), /known properties.*readinesProbe/],
  ['a wrong type', (o) => (appOf(o).ports[0].containerPort = '3000'), /containerPort must be integer/],
  ['a missing required field', (o) => delete appOf(o).name, /must have required property '?name/],
  ['no liveness probe', (o) => delete appOf(o).livenessProbe, /no livenessProbe/],
  ['readiness on /', (o) => (appOf(o).readinessProbe.httpGet.path = '/'), /readinessProbe is not GET \/health\/ready/],
  [
    'running as root',
    (o) => (pick(o, 'Deployment').spec.template.spec.securityContext.runAsUser = 0),
    /runAsUser 0 is root/,
  ],
  [
    'a writable root filesystem',
    (o) => (appOf(o).securityContext.readOnlyRootFilesystem = false),
    /readOnlyRootFilesystem is not true/,
  ],
  [
    'privilege escalation',
    (o) => delete appOf(o).securityContext.allowPrivilegeEscalation,
    /allowPrivilegeEscalation is not false/,
  ],
  ['capabilities kept', (o) => (appOf(o).securityContext.capabilities.drop = []), /capabilities.drop lacks ALL/],
  [
    'a short grace period',
    (o) => (pick(o, 'Deployment').spec.template.spec.terminationGracePeriodSeconds = 10),
    /terminationGracePeriodSeconds 10 is not above/,
  ],
  ['a sleep binary', (o) => (appOf(o).lifecycle.preStop = { exec: { command: ['sleep', '5'] } }), /no sleep binary/],
  [
    'migrations at boot',
    (o) => (appOf(o).env.find((e) => e.name === 'DATABASE_MIGRATIONS_RUN').value = 'true'),
    /DATABASE_MIGRATIONS_RUN is not "false"/,
  ],
  ['a secret in the ConfigMap', (o) => (pick(o, 'ConfigMap').data.JWT_SECRET = 'x'), /holds the secret JWT_SECRET/],
  ['replicas under an HPA', (o) => (pick(o, 'Deployment').spec.replicas = 2), /sets replicas while an HPA/],
  [
    'a Service selecting nothing',
    (o) => (pick(o, 'Service').spec.selector = { app: 'other' }),
    /selector does not match the pods/,
  ],
  [
    'an unknown kind',
    (o) => o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    /no schema for example.com\/v1 Widget/,
  ],
  [
    'migration pods the Service selects',
    (o) => (pick(o, 'Job').spec.template.metadata.labels = pick(o, 'Deployment').spec.template.metadata.labels),
    /its pods match the selector of Service/,
  ],
  [
    "a hook using the release's ServiceAccount",
    (o) => (pick(o, 'Job').spec.template.spec.serviceAccountName = pick(o, 'ServiceAccount').metadata.name),
    /uses ServiceAccount .* created only after the pre-install hooks/,
  ],
  [
    'a Job that is no hook',
    (o) => delete pick(o, 'Job').metadata.annotations['helm.sh/hook'],
    /not a pre-install,pre-upgrade hook/,
  ],
];

async function selfTest(file) {
  const { objects, findings } = readRender(file);
  const clean = [...findings, ...(await checkRender(objects)), ...typeCheck([{ label: 'clean', objects }])];
  if (clean.length) return [`self-test: the render to break is not clean:`, ...clean];
  const failures = [];
  const broken = BREAKS.map(([what, breakIt]) => {
    const copy = JSON.parse(JSON.stringify(objects));
    breakIt(copy);
    return { label: what, objects: copy };
  });
  const typed = typeCheck(broken);
  for (const [n, [what, , expected]] of BREAKS.entries()) {
    const reported = [...(await checkRender(broken[n].objects)), ...typed.filter((f) => f.startsWith(`${what}: `))];
    if (!reported.some((f) => expected.test(f)))
      failures.push(`self-test: ${what} was not reported (got: ${reported.join(' | ') || 'nothing'})`);
  }
  const duplicate = parseAllDocuments('a: 1\na: 2\n', { uniqueKeys: true })[0].errors.length;
  if (!duplicate) failures.push('self-test: a duplicate YAML key was not reported');
  console.log(
    `self-test: ${BREAKS.length + 1} ways of breaking a render, ${BREAKS.length + 1 - failures.length} reported`,
  );
  return failures;
}

// --- boot: the app, as the rendered Job and Deployment would run it ------------------------------

/**
 * Runs the migration Job's command and then the app with the environment a render gives them
 * (ConfigMap and Secret resolved), in the project at K8S_BOOT_APP_DIR (built: dist/), on a fresh
 * database made from K8S_BOOT_DATABASE_URL and on K8S_BOOT_REDIS_URL if set. Then checks the probes,
 * /metrics with and without the ServiceMonitor's bearer, and that SIGTERM drains within the grace
 * period. Everything listens on and talks to loopback only.
 */
async function boot(file) {
  const { objects } = readRender(file);
  const findings = [];
  const appDir = process.env.K8S_BOOT_APP_DIR ?? process.cwd();
  const adminUrl = process.env.K8S_BOOT_DATABASE_URL;
  if (!adminUrl) return ['boot: set K8S_BOOT_DATABASE_URL (a PostgreSQL URL allowed to CREATE DATABASE)'];
  const { Client } = createRequire(join(appDir, 'package.json'))('pg');
  const find = (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const decode = (value) => Buffer.from(value, 'base64').toString('utf8');
  const envOf = (container) => {
    const env = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) Object.assign(env, find('ConfigMap', from.configMapRef.name)?.data);
      if (from.secretRef) {
        const secret = find('Secret', from.secretRef.name);
        if (!secret) throw new Error(`boot: Secret ${from.secretRef.name} is not in the render`);
        for (const [key, value] of Object.entries(secret.data ?? {})) env[key] = decode(value);
      }
    }
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) env[e.name] = decode(find('Secret', ref.name)?.data?.[ref.key] ?? '');
      else env[e.name] = e.value;
    }
    return env;
  };
  const deployment = pick(objects, 'Deployment');
  const app = deployment.spec.template.spec.containers[0];
  const job = pick(objects, 'Job');
  const database = `k8s_check_${process.pid}`;
  const port = await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address();
      server.close(() => resolve(free));
    });
  });
  const local = {
    DATABASE_URL: adminUrl.replace(/\/[^/?]*(\?.*)?$/, `/${database}$1`),
    REDIS_URL: process.env.K8S_BOOT_REDIS_URL ?? '',
    REDIS_KEY_PREFIX: `k8s-check-${process.pid}:`,
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  const environment = (container) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...Object.fromEntries(Object.entries({ ...envOf(container), ...local }).filter(([, v]) => v !== '')),
  });
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const say = (message) => console.log(`boot: ${message}`);
  let child;
  try {
    // 1. The migration Job's command, in the image's working directory.
    const [command, ...args] = job.spec.template.spec.containers[0].command;
    const started = Date.now();
    const migrated = spawnSync(command, args, {
      cwd: appDir,
      env: environment(job.spec.template.spec.containers[0]),
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (migrated.status !== 0) {
      return [
        `boot: migration Job command exited ${migrated.status}: ${(migrated.stderr || migrated.stdout).slice(-800)}`,
      ];
    }
    say(`migration Job command exited 0 in ${((Date.now() - started) / 1000).toFixed(1)}s`);

    // 2. The app, as the image's CMD starts it, with the Deployment's environment.
    const cmd = [...(app.command ?? ['node', '--max-semi-space-size=64', 'dist/src/main']), ...(app.args ?? [])];
    const env = environment(app);
    if (env.DATABASE_MIGRATIONS_RUN !== 'false') findings.push('boot: DATABASE_MIGRATIONS_RUN is not false');
    let output = '';
    child = spawn(cmd[0], cmd.slice(1), { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const get = async (path, headers = {}) => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(2000) });
        return { status: response.status, body: await response.text() };
      } catch {
        return { status: 0, body: '' };
      }
    };
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    const startup = app.startupProbe ?? app.livenessProbe;
    const attempts = Math.min((startup.failureThreshold ?? 3) * (startup.periodSeconds ?? 10), 60) * 4;
    let up = false;
    for (let i = 0; i < attempts && child.exitCode === null; i++) {
      if ((await get(startup.httpGet.path)).status === 200) {
        up = true;
        break;
      }
      await sleep(250);
    }
    if (!up) return [`boot: ${startup.httpGet.path} never answered 200; the app said: ${output.slice(-1500)}`];
    say(`the app answers ${startup.httpGet.path} (startup probe) in production mode with the rendered settings`);
    for (const field of ['livenessProbe', 'readinessProbe']) {
      const { status, body } = await get(app[field].httpGet.path);
      if (status === 200) say(`${field} ${app[field].httpGet.path}: 200`);
      else findings.push(`boot: ${field} ${app[field].httpGet.path} answered ${status} ${body.slice(0, 300)}`);
    }
    for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
      const endpoint = monitor.spec.endpoints[0];
      const credentials = endpoint.authorization.credentials;
      const token = decode(find('Secret', credentials.name)?.data?.[credentials.key] ?? '');
      const without = await get(endpoint.path);
      const withToken = await get(endpoint.path, { authorization: `Bearer ${token}` });
      if (
        without.status === 401 &&
        withToken.status === 200 &&
        withToken.body.includes('http_request_duration_seconds')
      ) {
        say(
          `${endpoint.path}: 401 without a token, 200 with the ServiceMonitor's bearer from Secret ${credentials.name}`,
        );
      } else
        findings.push(`boot: ${endpoint.path} answered ${without.status} without a token, ${withToken.status} with it`);
    }

    // 3. SIGTERM, as the kubelet sends it after the preStop hook: a drain well inside the grace period.
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds;
    const stopping = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running'), grace * 1000).unref()),
    ]);
    const took = (Date.now() - stopping) / 1000;
    if (code === 0) say(`SIGTERM: exited 0 after ${took.toFixed(1)}s (terminationGracePeriodSeconds ${grace})`);
    else
      findings.push(
        `boot: SIGTERM: ${code === 'still running' ? 'still running' : `exit code ${code}`} after ${took}s`,
      );
    return findings;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

// --- main ---------------------------------------------------------------------------------------

async function main(argv) {
  const renders = [];
  let options = { expect: [], absent: [] };
  let selfTestFile;
  let bootFile;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--expect' || arg === '--absent') {
      options = { ...options, [arg.slice(2)]: argv[++i].split(',').filter(Boolean) };
    } else if (arg === '--boot') {
      bootFile = argv[++i];
    } else if (arg === '--self-test') {
      selfTestFile = argv[++i].split('=').slice(1).join('=');
    } else {
      const [label, ...file] = arg.split('=');
      renders.push({ label, file: file.join('='), options });
    }
  }
  if (selfTestFile) return selfTest(selfTestFile);
  if (bootFile) return boot(bootFile);

  const findings = [];
  for (const render of renders) {
    const { objects, findings: yamlFindings } = readRender(render.file);
    render.objects = objects;
    const own = [...yamlFindings, ...(await checkRender(objects, render.options))];
    findings.push(...own.map((f) => `${render.label}: ${f}`));
    const counts = [...new Set(objects.map((o) => o.kind))].map(
      (k) => `${objects.filter((o) => o.kind === k).length} ${k}`,
    );
    console.log(
      `${render.label}: ${objects.length} objects (${counts.join(', ')}): schema and invariants ${own.length ? 'FAILED' : 'ok'}`,
    );
  }
  const typed = typeCheck(renders);
  console.log(`strict types (tsc, unknown fields refused): ${typed.length ? 'FAILED' : 'ok'}`);
  return [...findings, ...typed];
}

const findings = await main(process.argv.slice(2));
for (const finding of findings) console.error(`  ✗ ${finding}`);
process.exitCode = findings.length ? 1 : 0;
