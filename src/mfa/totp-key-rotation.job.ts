import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SecretBox } from './secret-box';
import { secretContext } from './second-factors.service';
import { TotpFactorsRepository } from './totp-factors.repository';

/**
 * Finishes a rotation of MFA_ENCRYPTION_KEY: at boot, every secret still sealed under the
 * previous key is re-sealed under the current one, so MFA_PREVIOUS_ENCRYPTION_KEY can be removed
 * after one deployment. Each swap is conditional, so instances booting together do no harm.
 */
@Injectable()
export class TotpKeyRotationJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(TotpKeyRotationJob.name);

  constructor(
    private readonly totp: TotpFactorsRepository,
    private readonly box: SecretBox,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.box.rotating) return;
    const stale = await this.totp.sealedOtherwise(this.box.currentPrefix);
    let resealed = 0;
    for (const { userId, secret } of stale) {
      try {
        const context = secretContext(userId);
        await this.totp.reseal(userId, secret, this.box.seal(this.box.open(secret, context), context));
        resealed++;
      } catch {
        this.logger.error(
          `the TOTP secret of user ${userId} opens under neither MFA key; that authenticator cannot be used`,
        );
      }
    }
    if (resealed) this.logger.log(`re-sealed ${resealed} TOTP secrets under the current MFA_ENCRYPTION_KEY`);
  }
}
