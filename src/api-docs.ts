import type { INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { OpenAPIObject } from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ADMIN_SECURITY } from './admin/admin.decorators';
import { swagger } from './common/openapi';
import { adminConfig } from './config';

type Operation = OpenAPIObject['paths'][string]['get'] & object;

const DESCRIPTION = `
Sign up and sign in with nothing but a phone number. Every error is an RFC 9457 problem document
(\`application/problem+json\`) with a stable \`code\` to switch on; each operation lists the codes it can answer with.

## Signing in

1. **\`POST /api/auth/send-otp/\`** with \`{"phone_number": "+12015550123"}\` texts a one-time code to the number.
2. **\`POST /api/auth/verify-otp/\`** with the number and the code answers with the user and a pair of JWTs:
   \`tokens.access\` (short-lived) and \`tokens.refresh\`. The account is created on the first sign-in.
3. Send the access token as **\`Authorization: Bearer …\`** to the protected routes (the padlocks below; in this page,
   paste it into **Authorize**).
4. Before it expires, **\`POST /api/auth/token/refresh/\`** trades the refresh token for a new pair. Refresh tokens
   rotate: sending a replaced one again revokes the session (\`refresh_token_reused\`).
5. **\`POST /api/auth/logout/\`** ends the session (or the user's other sessions, or all of them).

## The account

Changing the phone number and deleting the account need a sign-in or a re-authentication within \`REAUTH_MAX_AGE\`
on the session (else \`401 reauthentication_required\`): **\`POST /api/auth/reauthenticate/\`** texts a code to the
current number and **\`POST /api/auth/reauthenticate/verify/\`** redeems it. Every code is bound to what it was sent
for (signing in, re-authenticating, a phone change, a deletion) and, except for signing in, to the user who asked.

## Limits

Sending codes is limited per phone number, per client IP and for the whole service; verifying is limited per IP and
per code. Every route shares a per-IP request budget. A limit answers \`429\` with \`Retry-After\` in seconds.

## Paths

Each path is listed once, without a trailing slash; every one also answers with it (\`/api/auth/send-otp/\`), as the
original Django service spelled them.
`.trim();

const TAG_DESCRIPTIONS: Record<string, string> = {
  auth: 'Sign in with a one-time code; refresh and end sessions',
  account: 'Re-authenticate, move the account to another number, delete it, recover it after losing the phone',
  mfa: 'A second factor: an authenticator app (TOTP) and recovery codes',
  passkeys: "The signed-in user's passkeys (WebAuthn); signing in with one is under auth",
  sessions: "The signed-in user's sessions, one per sign-in",
  sms: "Delivery receipts from the SMS provider's callbacks (signed; not for clients)",
  profile: 'The signed-in user',
  health: 'Liveness and readiness probes',
  admin: 'User management, the audit trail and sign-in analytics, with an admin token (ADMIN_API_TOKENS)',
  operations: 'For operators',
};

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setUpApiDocs(app: INestApplication): void {
  const { DocumentBuilder, SwaggerModule } = swagger();
  const config = new DocumentBuilder()
    .setTitle('Phone OTP Auth')
    .setDescription(DESCRIPTION)
    .setVersion(packageVersion())
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'The server this document came from')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The `access` token from verify-otp or token/refresh',
    })
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'An admin token from `ADMIN_API_TOKENS`; user tokens are refused',
      },
      ADMIN_SECURITY,
    )
    .build();
  const adminEnabled = app.get<ConfigType<typeof adminConfig>>(adminConfig.KEY).tokens.length > 0;
  SwaggerModule.setup('api/docs', app, () => finish(SwaggerModule.createDocument(app, config), adminEnabled), {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'Phone OTP Auth API',
    swaggerOptions: { displayRequestDuration: true, tagsSorter: 'alpha' },
  });
}

/**
 * What the decorators cannot say: the trailing-slash twin of each path, the request path in the
 * problem examples, that request bodies refuse unknown fields (the global ValidationPipe has
 * forbidNonWhitelisted), and tag descriptions.
 */
function finish(document: OpenAPIObject, adminEnabled: boolean): OpenAPIObject {
  // Without an admin token the admin routes do not exist (they answer 404), so neither do their docs.
  if (!adminEnabled) withoutAdmin(document);
  const requestSchemas = new Set<string>();
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (typeof operation !== 'object' || !operation?.responses) continue;
      operation.description = [operation.description, `Also answers at \`${path}/\`.`].filter(Boolean).join('\n\n');
      operation.tags?.forEach((tag) => tags.add(tag));
      const body = operation.requestBody;
      const schema = body && 'content' in body ? body.content['application/json']?.schema : undefined;
      if (schema && '$ref' in schema) requestSchemas.add(schema.$ref.split('/').pop()!);
      const instance = `${instancePath(path, operation)}/`;
      for (const response of Object.values(operation.responses)) {
        const examples =
          response && 'content' in response ? response.content?.['application/problem+json']?.examples : undefined;
        for (const example of Object.values(examples ?? {})) {
          if ('value' in example) example.value = { ...(example.value as object), instance };
        }
      }
    }
  }
  for (const name of requestSchemas) {
    const schema = document.components?.schemas?.[name];
    if (schema && !('$ref' in schema)) schema.additionalProperties = false;
  }
  document.tags = [...tags].sort().map((name) => ({ name, description: TAG_DESCRIPTIONS[name] }));
  return document;
}

function withoutAdmin(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    const operations = Object.values(item) as Operation[];
    if (operations.some((operation) => typeof operation === 'object' && operation?.tags?.includes('admin'))) {
      delete document.paths[path];
    }
  }
  delete document.components?.securitySchemes?.[ADMIN_SECURITY];
}

/** The path with each parameter replaced by its example, as a problem's `instance` would show it. */
function instancePath(path: string, operation: Operation): string {
  return path.replace(/\{(\w+)\}/g, (template, name: string) => {
    const parameter = operation.parameters?.find((p) => 'name' in p && p.name === name);
    const schema = parameter && 'schema' in parameter ? parameter.schema : undefined;
    const example: unknown = schema && 'example' in schema ? schema.example : undefined;
    return typeof example === 'string' ? example : template;
  });
}

/** package.json's version, from src/ (ts-node, Jest) and from dist/src/ alike; npm_package_version is npm-only. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  throw new Error(`No package.json above ${__dirname}`);
}
