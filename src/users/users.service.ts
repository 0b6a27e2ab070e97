import { Injectable } from '@nestjs/common';
import { ProblemException } from '../common/errors/problem.exception';
import type { Step } from '../database/sql';
import type { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, type ProfileResponseDto } from './dto/user-response.dto';
import { isUsable, type User } from './user.entity';
import { UsersRepository } from './users.repository';

export interface SignIn {
  user: User;
  isNewUser: boolean;
}

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /**
   * The user who just proved they own `phoneNumber` (E.164), created on first sign-in; a step of
   * the sign-in's transaction. A user is new until a sign-in has recorded `last_login`.
   */
  *findOrCreate(phoneNumber: string): Step<SignIn> {
    const user = yield* this.users.findOrCreate(phoneNumber, new Date());
    return { user, isNewUser: user.lastLogin === null };
  }

  /**
   * Records the sign-in of a user who proved `phoneNumber` (a step of its transaction); undefined
   * when the user has been deactivated, banned or moved off that number since.
   */
  *recordSignIn({ id, phoneNumber }: Pick<User, 'id' | 'phoneNumber'>): Step<User | undefined> {
    return yield* this.users.recordSignIn(id, phoneNumber, new Date());
  }

  /** The usable (active, not banned) user holding the number, if any. */
  async findActiveByPhoneNumber(phoneNumber: string): Promise<User | undefined> {
    const user = await this.users.findByPhoneNumber(phoneNumber);
    return user && isUsable(user, new Date()) ? user : undefined;
  }

  /**
   * Moves the user to `to` (a step of the change's transaction). Throws the driver's unique
   * violation when another account holds `to`, and `unauthorized` when the user no longer holds
   * `from` (a change that raced this one) or was deactivated.
   */
  *changePhoneNumber(id: number, from: string, to: string): Step<User> {
    const user = yield* this.users.changePhoneNumber(id, from, to);
    if (!user) throw new ProblemException('unauthorized', { detail: 'The account changed meanwhile. Sign in again.' });
    return user;
  }

  *delete(id: number): Step<void> {
    yield* this.users.delete(id);
  }

  /** The user the guard loaded with the caller's session. */
  getProfile(user: User): ProfileResponseDto {
    return { user: toUserResponse(user) };
  }

  /** Only the names change here; the phone number is the identity and is changed by no endpoint. */
  async updateProfile(id: number, changes: UpdateProfileDto): Promise<ProfileResponseDto> {
    const user = await this.users.rename(id, changes.first_name ?? null, changes.last_name ?? null);
    if (!user) throw new ProblemException('unauthorized');
    return { user: toUserResponse(user) };
  }
}
