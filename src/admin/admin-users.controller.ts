import { Controller } from '@nestjs/common';
import { AdminApi } from './admin.decorators';

@AdminApi()
@Controller('api/admin/users')
export class AdminUsersController {}
