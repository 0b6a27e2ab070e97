import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config';
import { ENTITY_FILES, typeOrmOptions } from './typeorm.options';

// Entry point for the TypeORM CLI (`npm run migration:run`, `migration:generate`).
if (existsSync('.env')) process.loadEnvFile('.env');

export default new DataSource({ ...typeOrmOptions(databaseConfig()), entities: ENTITY_FILES });
