import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { jwtConfig } from '../config';
import { UsersModule } from '../users/users.module';
import { Session } from './session.entity';
import { SessionsPurgeJob } from './sessions-purge.job';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionChanges } from './session-changes.service';
import { SessionsService } from './sessions.service';
import { SigningKeys, SigningKeysModule, jwtModuleOptions } from './signing-keys';
import { TokenService } from './token.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session]),
    UsersModule,
    SigningKeysModule,
    JwtModule.registerAsync({
      imports: [SigningKeysModule],
      inject: [SigningKeys, jwtConfig.KEY],
      useFactory: (keys: SigningKeys, config: ConfigType<typeof jwtConfig>) => jwtModuleOptions(keys, config),
    }),
  ],
  controllers: [SessionsController],
  providers: [SessionsRepository, SessionsService, SessionChanges, TokenService, SessionsPurgeJob],
  exports: [SessionsService, SessionChanges, SessionsRepository, SigningKeysModule],
})
export class SessionsModule {}
