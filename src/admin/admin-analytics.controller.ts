import { Controller } from '@nestjs/common';
import { AdminApi } from './admin.decorators';

@AdminApi()
@Controller('api/admin/analytics')
export class AdminAnalyticsController {}
