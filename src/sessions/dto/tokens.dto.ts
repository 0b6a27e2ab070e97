import { ApiProperty } from '../../common/openapi';

/** Three base64url segments; the examples are well-formed but signed with no real key. */
const JWT_PATTERN = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';
export const EXAMPLE_ACCESS_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJhY2Nlc3MiLCJzaWQiOiI2ZjFjMmI5ZS04ZDRhLTRjM2UtOWIxYS0yZjVlN2Q5YzBhMTEiLCJpYXQiOjE3ODM1MTQwOTYsImV4cCI6MTc4MzUxNDk5NiwiYXVkIjoib3RwLWF1dGgiLCJpc3MiOiJvdHAtYXV0aCIsInN1YiI6IjEiLCJqdGkiOiIwYjdkNWMxZS0zZjJhLTRlOGItOWM2ZC0xYTJiM2M0ZDVlNmYifQ.RPVoIZJ3rx7ueZ6sasZzUJQGUTmjGmGoRwIodk4AibA';
export const EXAMPLE_REFRESH_TOKEN =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0eXAiOiJyZWZyZXNoIiwic2lkIjoiNmYxYzJiOWUtOGQ0YS00YzNlLTliMWEtMmY1ZTdkOWMwYTExIiwiaWF0IjoxNzgzNTE0MDk2LCJleHAiOjE3ODQxMTg4OTYsImF1ZCI6Im90cC1hdXRoIiwiaXNzIjoib3RwLWF1dGgiLCJzdWIiOiIxIiwianRpIjoiOWU4ZDdjNmItNWE0Zi00ZTNkLThjMmItMWEwZjllOGQ3YzZiIn0.dOlzgKYelfIztWmTUJjKvv0amKGc9fAh3THFBv9cdHo';

export class TokensDto {
  @ApiProperty({
    example: EXAMPLE_ACCESS_TOKEN,
    pattern: JWT_PATTERN,
    description: 'Access token (JWT, HS256, JWT_ACCESS_TTL); send as `Authorization: Bearer …`',
  })
  readonly access: string;

  @ApiProperty({
    example: EXAMPLE_REFRESH_TOKEN,
    pattern: JWT_PATTERN,
    description: 'Refresh token (JWT, HS256, JWT_REFRESH_TTL); for token/refresh and logout only',
  })
  readonly refresh: string;
}

export const LOGOUT_SCOPES = ['local', 'others', 'global'] as const;
export type LogoutScope = (typeof LOGOUT_SCOPES)[number];
