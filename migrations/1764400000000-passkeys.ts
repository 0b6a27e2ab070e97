import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const userForeignKey = (table: string) =>
  new TableForeignKey({
    name: `FK_${table}_user_id`,
    columnNames: ['user_id'],
    referencedTableName: 'users',
    referencedColumnNames: ['id'],
    onDelete: 'CASCADE',
  });

/** Issue 17: passkeys (WebAuthn credentials) and the challenges of their ceremonies. */
export class Passkeys1764400000000 implements MigrationInterface {
  name = 'Passkeys1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'passkeys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'user_id', type: 'integer' },
          { name: 'credential_id', type: 'varchar', length: '1400' },
          { name: 'public_key', type: 'text' },
          { name: 'counter', type: 'bigint' },
          { name: 'transports', type: 'varchar', length: '200', isNullable: true },
          { name: 'device_type', type: 'varchar', length: '16' },
          { name: 'backed_up', type: 'boolean' },
          { name: 'name', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'cloned_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_passkeys_credential_id', columnNames: ['credential_id'], isUnique: true }),
          new TableIndex({ name: 'IDX_passkeys_user_id', columnNames: ['user_id'] }),
        ],
        foreignKeys: [userForeignKey('passkeys')],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'webauthn_challenges',
        columns: [
          { name: 'challenge', type: 'varchar', length: '64', isPrimary: true },
          { name: 'ceremony', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'consumed_at', type: 'bigint', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_webauthn_challenges_user_id', columnNames: ['user_id'] })],
        foreignKeys: [userForeignKey('webauthn_challenges')],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('webauthn_challenges');
    await queryRunner.dropTable('passkeys');
  }
}
