// Words shown to the user for the core's enums.

import type { FailureKind } from '../gen/FailureKind';
import type { SslMode } from '../gen/SslMode';
import type { Environment } from '../gen/Environment';
import type { RelationKind } from '../gen/RelationKind';
import type { PasswordStorage } from '../gen/PasswordStorage';
import type { ErrorCode } from '../gen/ErrorCode';

export const FAILURE_TEXT: Record<FailureKind, string> = {
  dns: 'The host name could not be resolved. Check its spelling, and your DNS or VPN.',
  connection_refused:
    'Nothing accepts connections on that host and port: the server is down, listens on another port, or its listen_addresses leaves out this interface.',
  timeout:
    'The server did not answer in time: a firewall may drop the packets, or the host is unreachable. On a slow link, raise the connect timeout.',
  network: 'A network error interrupted the connection.',
  tls_not_supported:
    'The server does not accept SSL connections (ssl = off), but the chosen SSL mode requires SSL. Enable SSL on the server, or choose prefer, allow or disable.',
  tls_unknown_ca:
    'The server certificate is not signed by the given CA certificate (or is self-signed). Check that the CA certificate is the one that issued the server certificate.',
  tls_hostname_mismatch:
    'The server certificate does not name this host. With verify-full, connect by a name listed in the certificate (CN or subjectAltName), or use verify-ca.',
  tls_other: 'The TLS negotiation with the server failed.',
  auth_failed:
    'The server rejected the login: wrong user name or password, or pg_hba.conf does not allow this user from this host with this encryption.',
  database_missing: 'The database does not exist on this server. Check its name, or connect to postgres.',
  connect_denied:
    'The login may not connect to this database: it lacks the CONNECT privilege there. The database owner or a superuser can grant it.',
  unavailable:
    'The server takes no connections now: the database does not allow connections, a connection limit is reached, or the server is starting up or shutting down.',
  not_postgres:
    'What answers on that host and port is not a PostgreSQL server (a web server, another service, or a proxy). Check the port.',
  secret_missing:
    'No password is available: none is saved in the keychain, or this integration asks for it once per session and it has not been given yet.',
  permission_denied:
    'Connected, but the login lacks a privilege the check needs (on a hardened server, SELECT on a system catalog may be revoked). The message names it and the GRANT that gives it back.',
  read_only:
    'Connected, but the server takes no writes: it is a standby in recovery, or default_transaction_read_only is on. Apply to the primary.',
  aws_credentials:
    'No AWS credentials were found, or they could not be loaded: check the profile, the environment variables or the access key.',
  aws_assume_role:
    'AWS STS refused to assume the role: check the role ARN, its trust policy (who may assume it, and the external id), and the session name.',
  aws_api:
    'The RDS API could not be reached or refused the call: check the region, the network path to AWS (or the custom endpoint), and that the identity may call rds:DescribeDBInstances.',
  token_rejected:
    'The server refused the token. RDS: IAM database authentication must be enabled on the instance, the user granted rds_iam, and the AWS identity allowed rds-db:connect for this user. Azure: Microsoft Entra authentication must be enabled and the user created as an Entra principal (pgaadauth_create_principal).',
  entra_refused:
    'Microsoft Entra ID gave no token: the tenant, the application (client) id or its secret is wrong or expired, or the token source (managed identity, Azure CLI) could not sign in. The message quotes Entra\'s own error.',
  entra_unreachable:
    'The Entra ID authority (or the managed identity endpoint) could not be reached: check the network path, a proxy, the authority host of a sovereign cloud, and, with TLS inspection, SSL_CERT_FILE.',
  other: 'The server answered with an error.',
};

/** What a failure means; `socket`: the host is a Unix socket directory, not a TCP host. */
export function failureText(kind: FailureKind, socket: boolean): string {
  if (socket && kind === 'connection_refused') {
    return 'No server listens on that Unix socket: the server is down, uses another port (the socket file is named after it), or keeps its socket in another directory (unix_socket_directories).';
  }
  return FAILURE_TEXT[kind];
}

export const SSL_MODES: { value: SslMode; label: string; short: string; help: string }[] = [
  { value: 'disable', label: 'disable', short: 'never SSL', help: 'Never use SSL: everything, the password included, travels in clear.' },
  { value: 'allow', label: 'allow', short: 'plain first, SSL if required', help: 'Plain connection first; SSL only if the server insists. No certificate check.' },
  { value: 'prefer', label: 'prefer', short: 'SSL if offered, unchecked', help: 'SSL if the server offers it, plain otherwise. No certificate check (libpq default).' },
  { value: 'require', label: 'require', short: 'SSL always, unchecked', help: 'SSL or fail. No certificate check, unless a CA certificate is given (then as verify-ca).' },
  { value: 'verify-ca', label: 'verify-ca', short: 'SSL, CA checked', help: 'SSL, and the server certificate must be signed by the given CA.' },
  { value: 'verify-full', label: 'verify-full', short: 'SSL, CA and host name checked', help: 'As verify-ca, and the certificate must name the host you connect to. The safest.' },
];

export const ENVIRONMENTS: { value: Environment; label: string }[] = [
  { value: 'development', label: 'Development' },
  { value: 'testing', label: 'Testing' },
  { value: 'staging', label: 'Staging' },
  { value: 'production', label: 'Production' },
];

export const ENV_SHORT: Record<Environment, string> = {
  development: 'dev',
  testing: 'test',
  staging: 'staging',
  production: 'PROD',
};

export const RELATION_KIND_LABEL: Record<RelationKind, string> = {
  table: 'table',
  partitioned_table: 'partitioned table',
  view: 'view',
  materialized_view: 'materialized view',
  foreign_table: 'foreign table',
  sequence: 'sequence',
  other: 'relation',
};

export const PASSWORD_STORAGE_LABEL: Record<PasswordStorage, string> = {
  keychain: 'saved in the keychain',
  session: 'asked once per session',
  none: 'no password',
};

/** A short title for an error code, shown above the core's own message. */
export const ERROR_TITLE: Record<ErrorCode, string> = {
  'input.invalid': 'Invalid input',
  'integration.duplicate_name': 'Name already used',
  'lookup.not_found': 'Not found',
  'keychain.unavailable': 'Keychain unavailable',
  'keychain.secret_missing': 'Password needed',
  'store.unreadable': 'Local store problem',
  'connect.dns': 'Host not found',
  'connect.refused': 'Connection refused',
  'connect.timeout': 'Timed out',
  'connect.tls': 'SSL/TLS failure',
  'connect.auth_failed': 'Authentication failed',
  'connect.database_missing': 'Database missing',
  'connect.denied': 'No CONNECT privilege',
  'connect.unavailable': 'Server takes no connections',
  'connect.not_postgres': 'Not a PostgreSQL server',
  'server.permission_denied': 'Permission denied',
  'server.read_only': 'Server is read-only',
  'server.error': 'Server error',
  'connect.network': 'Network error',
  'sandbox.local_postgres': 'Local PostgreSQL problem',
  'run.refused': 'Refused, nothing was run',
  'run.rolled_back': 'Rolled back, nothing was applied',
  'aws.credentials': 'No AWS credentials',
  'aws.assume_role': 'AssumeRole refused',
  'aws.api': 'RDS API failure',
  'connect.token_rejected': 'Token refused',
  'entra.refused': 'Entra ID refused',
  'entra.unreachable': 'Entra ID unreachable',
  'internal': 'Unexpected error',
};
