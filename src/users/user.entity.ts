import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '../database/epoch-ms.transformer';

@Entity('users')
@Index('UQ_users_phone_number', ['phoneNumber'], { unique: true })
@Index('UQ_users_username', ['username'], { unique: true })
export class User {
  @PrimaryGeneratedColumn('increment')
  id: number;

  /** E.164. */
  @Column({ name: 'phone_number', type: 'varchar', length: 20 })
  phoneNumber: string;

  /** The seed's Django username, which it set to the phone number. */
  @Column({ type: 'varchar', length: 150 })
  username: string;

  @Column({ name: 'first_name', type: 'varchar', length: 150, default: '' })
  firstName: string;

  @Column({ name: 'last_name', type: 'varchar', length: 150, default: '' })
  lastName: string;

  @Column({ name: 'is_phone_verified', type: 'boolean' })
  isPhoneVerified: boolean;

  @Column({ name: 'is_active', type: 'boolean' })
  isActive: boolean;

  @Column({ name: 'date_joined', type: 'bigint', transformer: epochMs })
  dateJoined: Date;

  @Column({ name: 'last_login', type: 'bigint', nullable: true, transformer: epochMs })
  lastLogin: Date | null;
}
