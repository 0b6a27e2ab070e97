import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Issue 18: every attempt to deliver a code, its provider message id and what receipts said. */
export class SmsDeliveries1764500000000 implements MigrationInterface {
  name = 'SmsDeliveries1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sms_deliveries',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'otp_code_id', type: 'integer' },
          { name: 'channel', type: 'varchar', length: '16' },
          { name: 'next_channel', type: 'varchar', length: '16', isNullable: true },
          { name: 'locale', type: 'varchar', length: '8' },
          { name: 'message_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'error_code', type: 'varchar', length: '32', isNullable: true },
          { name: 'sealed_code', type: 'varchar', length: '200', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'fallback_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_sms_deliveries_message_id', columnNames: ['message_id'], isUnique: true }),
          new TableIndex({ name: 'IDX_sms_deliveries_otp_code_id', columnNames: ['otp_code_id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_sms_deliveries_otp_code_id',
            columnNames: ['otp_code_id'],
            referencedTableName: 'otp_codes',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sms_deliveries');
  }
}
