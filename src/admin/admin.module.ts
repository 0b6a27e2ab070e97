import { Module } from '@nestjs/common';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AdminAnalyticsController } from './admin-analytics.controller';
import { AdminAnalyticsService } from './admin-analytics.service';
import { AdminAuditEventsController } from './admin-audit-events.controller';
import { AdminAuditService } from './admin-audit.service';
import { AdminConsoleController } from './admin-console.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminUserChanges } from './admin-user-changes.service';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';

/** The admin API and console; they answer 404 while ADMIN_API_TOKENS is empty. */
@Module({
  imports: [UsersModule, SessionsModule, OtpModule],
  controllers: [AdminUsersController, AdminAuditEventsController, AdminAnalyticsController, AdminConsoleController],
  providers: [AdminTokenGuard, AdminUsersService, AdminUserChanges, AdminAuditService, AdminAnalyticsService],
})
export class AdminModule {}
