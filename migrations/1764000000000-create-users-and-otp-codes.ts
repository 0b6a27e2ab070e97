import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateUsersAndOtpCodes1764000000000 implements MigrationInterface {
  name = 'CreateUsersAndOtpCodes1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'phone_number', type: 'varchar', length: '20' },
          { name: 'username', type: 'varchar', length: '150' },
          { name: 'first_name', type: 'varchar', length: '150', default: "''" },
          { name: 'last_name', type: 'varchar', length: '150', default: "''" },
          { name: 'is_phone_verified', type: 'boolean' },
          { name: 'is_active', type: 'boolean' },
          { name: 'date_joined', type: 'bigint' },
          { name: 'last_login', type: 'bigint', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_users_phone_number', columnNames: ['phone_number'], isUnique: true }),
          new TableIndex({ name: 'UQ_users_username', columnNames: ['username'], isUnique: true }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'otp_codes',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'phone_number', type: 'varchar', length: '20' },
          { name: 'code_hash', type: 'varchar', length: '64' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'consumed_at', type: 'bigint', isNullable: true },
          { name: 'invalidated_at', type: 'bigint', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_otp_codes_phone_number_id', columnNames: ['phone_number', 'id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('otp_codes');
    await queryRunner.dropTable('users');
  }
}
