import { TableColumn, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 14: every code carries what it may complete and, except for sign-in, the user it was sent
 * for; a session records when its user last proved who they are (sign-in or re-authentication).
 */
export class PurposeBoundCodes1764200000000 implements MigrationInterface {
  name = 'PurposeBoundCodes1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('otp_codes', [
      new TableColumn({ name: 'purpose', type: 'varchar', length: '20', default: "'sign_in'" }),
      new TableColumn({ name: 'user_id', type: 'integer', isNullable: true }),
    ]);
    await queryRunner.createForeignKey(
      'otp_codes',
      new TableForeignKey({
        name: 'FK_otp_codes_user_id',
        columnNames: ['user_id'],
        referencedTableName: 'users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.dropIndex('otp_codes', 'IDX_otp_codes_phone_number_id');
    await queryRunner.createIndices('otp_codes', [
      new TableIndex({ name: 'IDX_otp_codes_scope', columnNames: ['phone_number', 'purpose', 'user_id', 'id'] }),
      new TableIndex({ name: 'IDX_otp_codes_user_id', columnNames: ['user_id'] }),
    ]);

    await queryRunner.addColumn(
      'sessions',
      new TableColumn({ name: 'authenticated_at', type: 'bigint', isNullable: true }),
    );
    await queryRunner.query('UPDATE sessions SET authenticated_at = created_at');
    await queryRunner.changeColumn(
      'sessions',
      'authenticated_at',
      new TableColumn({ name: 'authenticated_at', type: 'bigint' }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sessions', 'authenticated_at');
    await queryRunner.dropIndex('otp_codes', 'IDX_otp_codes_user_id');
    await queryRunner.dropIndex('otp_codes', 'IDX_otp_codes_scope');
    await queryRunner.dropForeignKey('otp_codes', 'FK_otp_codes_user_id');
    await queryRunner.dropColumns('otp_codes', ['user_id', 'purpose']);
    await queryRunner.createIndex(
      'otp_codes',
      new TableIndex({ name: 'IDX_otp_codes_phone_number_id', columnNames: ['phone_number', 'id'] }),
    );
  }
}
