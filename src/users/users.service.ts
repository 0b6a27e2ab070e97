import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ProblemException } from '../common/errors/problem.exception';
import { isUniqueViolation } from '../common/database-errors';
import type { UpdateProfileDto } from './dto/update-profile.dto';
import { toUserResponse, type ProfileResponseDto } from './dto/user-response.dto';
import { User } from './user.entity';

export interface SignIn {
  user: User;
  isNewUser: boolean;
}

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * The user who just proved they own `phoneNumber` (E.164), created on first sign-in. A user is
   * new until a sign-in completes (recordSignIn sets `last_login`), so a sign-in that failed
   * half-way is still reported as the first one when it is retried.
   */
  async findOrCreate(phoneNumber: string): Promise<SignIn> {
    const existing = await this.users.findOneBy({ phoneNumber });
    if (existing) return { user: existing, isNewUser: existing.lastLogin === null };
    const user = this.users.create({
      phoneNumber,
      username: phoneNumber,
      firstName: '',
      lastName: '',
      isPhoneVerified: true,
      isActive: true,
      dateJoined: new Date(),
      lastLogin: null,
    });
    try {
      await this.users.insert(user);
      return { user, isNewUser: true };
    } catch (error) {
      // Two first sign-ins raced and the other one created the row.
      if (isUniqueViolation(error)) return this.findOrCreate(phoneNumber);
      throw error;
    }
  }

  async recordSignIn(id: number): Promise<void> {
    await this.users.update(id, { lastLogin: new Date(), isPhoneVerified: true });
  }

  async getProfile(id: number): Promise<ProfileResponseDto> {
    return { user: toUserResponse(await this.findActive(id)) };
  }

  /** Only the names change here; the phone number is the identity and is changed by no endpoint. */
  async updateProfile(id: number, changes: UpdateProfileDto): Promise<ProfileResponseDto> {
    const user = await this.findActive(id);
    const update = {
      ...(changes.first_name !== undefined && { firstName: changes.first_name }),
      ...(changes.last_name !== undefined && { lastName: changes.last_name }),
    };
    if (Object.keys(update).length) await this.users.update(id, update);
    return { user: toUserResponse({ ...user, ...update }) };
  }

  private async findActive(id: number): Promise<User> {
    const user = await this.users.findOneBy({ id, isActive: true });
    if (!user) throw new ProblemException('unauthorized');
    return user;
  }
}
