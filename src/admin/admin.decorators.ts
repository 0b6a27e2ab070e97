import { applyDecorators, createParamDecorator, UseGuards, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '../common/openapi';
import { Public } from '../common/auth.decorators';
import { AdminTokenGuard, type Admin, type AdminRequest } from './admin-token.guard';

/** The security scheme of the admin routes in the OpenAPI document. */
export const ADMIN_SECURITY = 'admin-token';

/**
 * An admin API controller: outside the users' JWT guard (`@Public()` to it), behind the admin
 * token guard instead, documented under the `admin` tag and scheme.
 */
export const AdminApi = () =>
  applyDecorators(Public(), UseGuards(AdminTokenGuard), ApiTags('admin'), ApiBearerAuth(ADMIN_SECURITY));

/** The admin who called (for the audit trail's actor). */
export const CurrentAdmin = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Admin => context.switchToHttp().getRequest<AdminRequest>().admin!,
);
