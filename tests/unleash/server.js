'use strict';
// A real Unleash server for Warroom's flag-provider tests, started by tests/unleash/harness.py.
//
// Environment (all required):
//   UNLEASH_PORT           port to listen on (127.0.0.1 only)
//   UNLEASH_DATABASE_URL   postgres://user[:password]@host:port/database (a fresh, empty database)
//   UNLEASH_ADMIN_TOKEN    admin API token to create at start, like "*:*.<secret>"
//   UNLEASH_BACKEND_TOKEN  backend (client) API token to create at start, like "default:development.<secret>"
//
// Nothing leaves the machine: the version check and telemetry are off.

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server.js: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('UNLEASH_PORT'));
const databaseUrl = new URL(required('UNLEASH_DATABASE_URL'));

// Unleash reads these from the environment only: `telemetry: false` alone does not turn it off,
// and the initial API tokens always come from INIT_*_API_TOKENS.
process.env.SEND_TELEMETRY = 'false';
process.env.CHECK_VERSION = 'false';
process.env.INIT_ADMIN_API_TOKENS = required('UNLEASH_ADMIN_TOKEN');
process.env.INIT_BACKEND_API_TOKENS = required('UNLEASH_BACKEND_TOKEN');

async function main() {
  const { start } = await import('unleash-server');
  const unleash = await start({
    db: {
      host: databaseUrl.hostname,
      port: Number(databaseUrl.port || 5432),
      user: decodeURIComponent(databaseUrl.username),
      password: decodeURIComponent(databaseUrl.password),
      database: databaseUrl.pathname.slice(1),
      ssl: false,
    },
    server: { host: '127.0.0.1', port, gracefulShutdownEnable: false },
    versionCheck: { enable: false },
    telemetry: false,
    logLevel: 'warn',
    authentication: { type: 'open-source', enableApiToken: true, createAdminUser: false },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await unleash.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`warroom-test-unleash listening on http://127.0.0.1:${port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
