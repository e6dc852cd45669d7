// Made-up core data with plain defaults, for the mock core (mock.ts) and the unit tests.

import type { Integration } from '../gen/Integration';
import type { Inspection } from '../gen/Inspection';
import type { ServerInfo } from '../gen/ServerInfo';

export type IntegrationOverrides = Partial<Omit<Integration, 'connection'>> & {
  connection?: Partial<Extract<Integration['connection'], { kind: 'self_hosted' }>>;
};

/** A saved self-hosted integration on localhost:5432, its password in the keychain; `over` replaces any part. */
export function selfHostedIntegration(name: string, over: IntegrationOverrides = {}): Integration {
  const { connection, ...rest } = over;
  const now = '2025-11-20T10:00:00Z';
  return {
    id: `id-${name}`,
    name,
    connection: {
      kind: 'self_hosted',
      host: 'localhost',
      port: 5432,
      database: 'postgres',
      username: 'grantry',
      sslmode: 'prefer',
      ca_cert: null,
      client_cert: null,
      client_key: null,
      connect_timeout_secs: 10,
      application_name: 'grantry',
      ...connection,
    },
    environment: 'development',
    read_only: false,
    password_storage: 'keychain',
    has_password: true,
    is_sandbox: false,
    created_at: now,
    updated_at: now,
    ...rest,
  };
}

/** Where an answer comes from: a fresh inspection of a PostgreSQL 17 server that read everything. */
export function inspection(patch: Partial<Inspection> = {}): Inspection {
  return { taken_at: new Date().toISOString(), version_num: 170002, unreadable: [], ...patch };
}

/** What a connection test reports of a PostgreSQL 15 server over TLS; `over` replaces any part. */
export function serverInfo(over: Partial<ServerInfo> = {}): ServerInfo {
  return {
    version: '15.18',
    version_num: 150018,
    current_user: 'grantry',
    database: 'postgres',
    ssl_in_use: true,
    ssl_version: 'TLSv1.3',
    ssl_cipher: 'TLS_AES_256_GCM_SHA384',
    effective_sslmode: 'prefer',
    in_recovery: false,
    read_only: false,
    notes: [],
    powers: {
      superuser: false,
      createrole: true,
      createdb: true,
      read_all_stats: true,
      pg_stat_statements_installed: '1.10',
      pg_stat_statements_loaded: true,
      pg_stat_statements_available: true,
      rds_superuser: null,
      azure_pg_admin: null,
      ungrantable_relations: 0,
      ungrantable_schemas: [],
    },
    ...over,
  };
}
