import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setUpApiDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Phone OTP Auth')
    .setDescription(
      'Sign up and sign in with a phone number: `POST /api/auth/send-otp/` texts a one-time code, ' +
        '`POST /api/auth/verify-otp/` redeems it for JWT access and refresh tokens, and the access token ' +
        'opens the protected routes as `Authorization: Bearer …`. Every error is an RFC 9457 problem document ' +
        '(`application/problem+json`) with a stable `code`. Every path also answers with a trailing slash.',
    )
    .setVersion(process.env.npm_package_version ?? '0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'api/docs-json',
  });
}
