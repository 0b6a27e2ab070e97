import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Issue 15: the audit trail, and the admin's ban and reason on users. */
export class AuditAndAdmin1764600000000 implements MigrationInterface {
  name = 'AuditAndAdmin1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'created_at', type: 'bigint' },
          { name: 'type', type: 'varchar', length: '32' },
          { name: 'actor', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_id', type: 'integer', isNullable: true },
          { name: 'phone_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'phone_masked', type: 'varchar', length: '20', isNullable: true },
          { name: 'country', type: 'varchar', length: '2', isNullable: true },
          { name: 'purpose', type: 'varchar', length: '20', isNullable: true },
          { name: 'channel', type: 'varchar', length: '16', isNullable: true },
          { name: 'reason', type: 'varchar', length: '48', isNullable: true },
          { name: 'session_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'ip', type: 'varchar', length: '45', isNullable: true },
          { name: 'is_new_user', type: 'boolean', isNullable: true },
          { name: 'elapsed_ms', type: 'integer', isNullable: true },
          { name: 'detail', type: 'varchar', length: '500', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_events_created_at', columnNames: ['created_at'] }),
          new TableIndex({ name: 'IDX_audit_events_user_id', columnNames: ['user_id', 'id'] }),
          new TableIndex({ name: 'IDX_audit_events_phone_hash', columnNames: ['phone_hash', 'id'] }),
        ],
      }),
    );
    await queryRunner.addColumns('users', [
      new TableColumn({ name: 'banned_until', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'disabled_reason', type: 'varchar', length: '200', isNullable: true }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Not dropColumns: on SQLite TypeORM rebuilds the table for it, and dropping the old users table
    // would cascade to every session, code and factor. Both databases speak ALTER TABLE … DROP COLUMN.
    await queryRunner.query('ALTER TABLE users DROP COLUMN banned_until');
    await queryRunner.query('ALTER TABLE users DROP COLUMN disabled_reason');
    await queryRunner.dropTable('audit_events');
  }
}
