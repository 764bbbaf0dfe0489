// The same environment SocialChat's services read (ConnectionStrings__socialdb, ConnectionStrings__cache,
// Jwt__*), so a peer node starts with a Realtime node's environment unchanged.

/** An Npgsql connection string ("Host=…;Port=…;Username=…;Password=…;Database=…") as node-postgres settings. */
export function postgresSettings(connectionString) {
  const fields = Object.fromEntries(connectionString.split(';').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim()];
  }));
  return {
    host: fields.host,
    port: Number(fields.port ?? 5432),
    user: fields.username ?? fields['user id'],
    password: fields.password,
    database: fields.database ?? 'socialdb',
  };
}

/** A StackExchange.Redis configuration ("host:port,password=…") as a node-redis URL. */
export function redisUrl(configuration) {
  const [endpoint, ...options] = configuration.split(',');
  const password = options.map((o) => o.split('=')).find(([name]) => name.trim() === 'password')?.slice(1).join('=');
  return password ? `redis://:${encodeURIComponent(password)}@${endpoint}` : `redis://${endpoint}`;
}

export function readSettings(env = process.env) {
  const required = (name) => env[name] || (() => { throw new Error(`${name} is not set`); })();
  return {
    port: Number(required('PORT')),
    postgres: postgresSettings(required('ConnectionStrings__socialdb')),
    redis: redisUrl(required('ConnectionStrings__cache')),
    jwt: {
      signingKey: required('Jwt__SigningKey'),
      issuer: env.Jwt__Issuer || 'socialchat',
      audience: env.Jwt__Audience || 'socialchat-clients',
    },
    // Npgsql's default pool holds up to 100; a Node process runs one query per connection at a time, so fewer do.
    poolSize: Number(env.PEER_POOL_SIZE || 20),
  };
}
