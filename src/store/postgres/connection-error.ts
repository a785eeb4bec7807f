import { StoreUnavailableError } from '../errors.js';

/** Turn a driver error at connect time into one line that names the server and what to check. */
export function describeConnectionError(error: unknown, connectionString: string, redacted: string): StoreUnavailableError {
  const url = new URL(connectionString);
  const where = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  const database = decodeURIComponent(url.pathname.slice(1)) || '(default)';
  const user = decodeURIComponent(url.username) || '(default)';
  const e = error as { code?: string; message?: string };
  const reason = ((): string => {
    switch (e.code) {
      case 'ECONNREFUSED':
        return `connection refused at ${where}: is Postgres running there, and is the host/port in the URL right?`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `host ${url.hostname} not found: check the host name in the URL`;
      case 'ETIMEDOUT':
        return `no answer from ${where} in time: check the host, port and any firewall`;
      case '28P01':
      case '28000':
        return `Postgres at ${where} refused user ${user}: check the user name and password`;
      case '3D000':
        return `database ${database} does not exist on ${where}: create it (createdb ${database}) or fix the URL`;
      // The server dropped the socket while the startup message was on its way (a reset rather than an orderly close).
      case 'ECONNRESET':
      case 'EPIPE':
        return closedEarly(where);
      default:
        // node-postgres reports a connection closed before the server answered, or never answered, without a code.
        if (/Connection terminated unexpectedly/i.test(e.message ?? '')) return closedEarly(where);
        if (/timeout/i.test(e.message ?? '')) return `no answer from ${where} in time: check the host, port and any firewall`;
        return `${e.message ?? String(error)} (server ${where})`;
    }
  })();
  return new StoreUnavailableError(`cannot open Postgres store ${redacted}: ${reason}`, { cause: error });
}

function closedEarly(where: string): string {
  return `${where} closed the connection before answering: check that a Postgres server listens there and that the host/port in the URL are right`;
}
