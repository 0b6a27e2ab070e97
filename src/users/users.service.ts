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

  /** The user who just proved they own `phoneNumber` (E.164), created on first sign-in. */
  async signIn(phoneNumber: string): Promise<SignIn> {
    const now = new Date();
    const existing = await this.users.findOneBy({ phoneNumber });
    if (existing) {
      await this.users.update(existing.id, { lastLogin: now, isPhoneVerified: true });
      return { user: { ...existing, lastLogin: now, isPhoneVerified: true }, isNewUser: false };
    }
    const user = this.users.create({
      phoneNumber,
      username: phoneNumber,
      firstName: '',
      lastName: '',
      isPhoneVerified: true,
      isActive: true,
      dateJoined: now,
      lastLogin: now,
    });
    try {
      await this.users.insert(user);
      return { user, isNewUser: true };
    } catch (error) {
      // Two first sign-ins raced and the other one created the row: this one is a returning user.
      if (isUniqueViolation(error)) return this.signIn(phoneNumber);
      throw error;
    }
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
