// Measurement aid, not a fix: BENCH_APP_NODE_ARGS="--import ./scripts/bench/experiments/jwt-key-object.mjs"
// makes the app's jsonwebtoken calls receive a KeyObject instead of the JWT_SECRET string, to
// measure what passing createSecretKey(...) from src/auth (JwtModule and JwtStrategy) would gain.
// Given a string or Buffer, jsonwebtoken 9 first tries createPublicKey/createPrivateKey on it and
// pays for the thrown parse error on every sign and verify.
import { Buffer } from 'node:buffer';
import { createSecretKey } from 'node:crypto';
import { createRequire } from 'node:module';

const jwt = createRequire(import.meta.url)('jsonwebtoken');
const keys = new Map();

function asKey(secret) {
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) return secret;
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret));
    keys.set(secret, key);
  }
  return key;
}

const { sign, verify } = jwt;
jwt.sign = (payload, secret, ...rest) => sign(payload, asKey(secret), ...rest);
jwt.verify = (token, secret, ...rest) => verify(token, asKey(secret), ...rest);
