import { Module } from '@nestjs/common';
import { Sql } from '../common/sql';
import { ProfileController } from './profile.controller';
import { UsersService } from './users.service';

@Module({
  controllers: [ProfileController],
  providers: [Sql, UsersService],
  exports: [UsersService],
})
export class UsersModule {}
