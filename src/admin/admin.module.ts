import { Module } from '@nestjs/common';
import { OtpModule } from '../otp/otp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { AdminAnalyticsController } from './admin-analytics.controller';
import { AdminAuditEventsController } from './admin-audit-events.controller';
import { AdminConsoleController } from './admin-console.controller';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminUsersController } from './admin-users.controller';

/** The admin API and console; they answer 404 while ADMIN_API_TOKENS is empty. */
@Module({
  imports: [UsersModule, SessionsModule, OtpModule],
  controllers: [AdminUsersController, AdminAuditEventsController, AdminAnalyticsController, AdminConsoleController],
  providers: [AdminTokenGuard],
})
export class AdminModule {}
