// This project's rules for compose.yaml, on top of the Compose schema that dclint checks: what makes
// it production's shape rather than any valid Compose file. Prints each finding; exits 1 on any.
// Usage (from the repository root): node scripts/ci/container-lint/check-compose.mjs
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

/** The migration command documented in the Dockerfile and run by test/container.e2e-spec.ts. */
const MIGRATE_COMMAND = [
  'node',
  'node_modules/typeorm/cli.js',
  'migration:run',
  '-d',
  'dist/src/database/data-source.js',
];
const PINNED_IMAGE = /^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/;

const findings = [];
const expect = (ok, message) => ok || findings.push(message);

const source = readFileSync('compose.yaml', 'utf8');
const document = parseDocument(source, { merge: true });
for (const problem of [...document.errors, ...document.warnings]) findings.push(`compose.yaml: ${problem.message}`);
const compose = document.toJS({ maxAliasCount: -1 }) ?? {};
const { services = {}, networks = {} } = compose;

const built = Object.entries(services).filter(([, service]) => service.build);
const instances = built.filter(([name]) => name !== 'migrate');
const lb = services.lb;
const lbAddress = lb?.networks?.edge?.ipv4_address;

for (const [name, service] of Object.entries(services)) {
  if (!service.build) {
    expect(PINNED_IMAGE.test(service.image ?? ''), `${name}: image must be pinned as name:tag@sha256:digest`);
    expect(service.healthcheck?.test, `${name}: needs a healthcheck (the instances wait for it)`);
  }
}

expect(instances.length >= 2, 'at least two instances: production runs several');
for (const [name, { environment: env = {}, depends_on: dependsOn = {}, networks: joined = [] }] of instances) {
  expect(env.NODE_ENV === 'production', `${name}: NODE_ENV must be production`);
  // Migrating is the one-shot service's job (docs/deployment.md, Migrations, "as a deploy step").
  expect(env.DATABASE_MIGRATIONS_RUN === 'false', `${name}: DATABASE_MIGRATIONS_RUN must be 'false'`);
  expect(
    dependsOn.migrate?.condition === 'service_completed_successfully',
    `${name}: must wait for migrate to succeed`,
  );
  expect(env.SMS_PROVIDER && env.SMS_PROVIDER !== 'mock', `${name}: SMS_PROVIDER must be a real provider`);
  expect(lbAddress && env.TRUST_PROXY === lbAddress, `${name}: TRUST_PROXY must be the load balancer's address`);
  expect(/^postgres:\/\//.test(env.DATABASE_URL ?? ''), `${name}: DATABASE_URL must be PostgreSQL`);
  expect(/^rediss?:\/\//.test(env.REDIS_URL ?? ''), `${name}: REDIS_URL must be set (shared rate limits)`);
  expect(!Object.keys(services[name].ports ?? {}).length, `${name}: reachable only through the load balancer`);
  expect(joined.includes('edge'), `${name}: must be on the load balancer's network`);
}

const migrate = services.migrate;
expect(migrate, 'a migrate service runs the migrations once');
expect(
  JSON.stringify(migrate?.command) === JSON.stringify(MIGRATE_COMMAND),
  `migrate: command must be ${MIGRATE_COMMAND.join(' ')}`,
);
expect(migrate?.restart === 'no', "migrate: restart must be 'no' (a one-shot step)");
expect(networks.backend?.internal === true, 'backend network must be internal (no way out for PostgreSQL and Redis)');

// Upstreams in nginx.conf = the instances, so adding a third instance cannot forget the load balancer.
const nginx = readFileSync('deploy/compose/nginx.conf', 'utf8');
const upstreams = [...nginx.matchAll(/^\s*server\s+([\w-]+):3000\b/gm)].map((match) => match[1]).sort();
const names = instances.map(([name]) => name).sort();
expect(JSON.stringify(upstreams) === JSON.stringify(names), `nginx.conf upstreams ${upstreams} must be ${names}`);

// Every required variable is in the example env file, empty: no secret is ever committed.
const example = readFileSync('deploy/compose/.env.example', 'utf8');
const listed = new Map([...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => [match[1], match[2]]));
const referenced = new Set(
  [...JSON.stringify(compose).matchAll(/\$\{([A-Z][A-Z0-9_]*)[:?-]/g)].map((match) => match[1]),
);
for (const name of referenced) expect(listed.has(name), `${name} is used by compose.yaml but not in .env.example`);
for (const [name, value] of listed) {
  expect(referenced.has(name), `.env.example lists ${name}, which compose.yaml never uses`);
  expect(value === '', `.env.example: ${name} must be empty (filled in by whoever copies it)`);
}

for (const finding of findings) console.error(`check-compose: ${finding}`);
process.exitCode = findings.length ? 1 : 0;
