import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';
import { ProblemException } from '../common/errors/problem.exception';
import { adminConfig, hashAdminToken } from '../config';

/** The admin who called, as the guard put it on the request. */
export interface Admin {
  /** The name ADMIN_API_TOKENS gives the token: the actor of the audit events. */
  name: string;
}

export type AdminRequest = { headers: Record<string, string | string[] | undefined>; admin?: Admin };

/**
 * Admits a request that carries one of ADMIN_API_TOKENS as its bearer token, and nothing else: a
 * user's JWT is no admin token. With no token configured the admin routes answer exactly as a
 * route that does not exist.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(adminConfig.KEY) private readonly config: ConfigType<typeof adminConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.tokens.length) throw new ProblemException('not_found');
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const admin = this.adminOf(request.headers.authorization);
    if (!admin) throw new ProblemException('unauthorized', { detail: 'An admin token is required.' });
    request.admin = admin;
    return true;
  }

  /**
   * Compared as SHA-256 digests, with every configured token compared whatever matched, so the
   * time taken says neither how much of a token was right nor which one it was.
   */
  private adminOf(header: string | string[] | undefined): Admin | undefined {
    const match = typeof header === 'string' ? /^Bearer ([^\s]+)$/i.exec(header) : null;
    if (!match) return undefined;
    const hash = hashAdminToken(match[1]);
    let found: Admin | undefined;
    for (const token of this.config.tokens) {
      if (timingSafeEqual(token.hash, hash) && !found) found = { name: token.name };
    }
    return found;
  }
}
