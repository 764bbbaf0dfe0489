import jwt from 'jsonwebtoken';

// SocialChat's SessionStore: "session:<sid, 32 hex digits>" holds the user id (32 hex digits) or "revoked".
const hex = (uuid) => uuid.replaceAll('-', '').toLowerCase();
const sessionKey = (sessionId) => `session:${hex(sessionId)}`;
const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * What SocialChat checks on every hub connect: an HS256 token with its key, issuer and audience (30 s clock
 * skew), with sub and sid, whose session is still live — in Redis, or in PostgreSQL (then cached) when Redis
 * does not know it.
 */
export function createAuthenticator({ settings, redis, pool }) {
  const key = Buffer.from(settings.jwt.signingKey, 'utf8');
  const verifyOptions = { algorithms: ['HS256'], issuer: settings.jwt.issuer, audience: settings.jwt.audience, clockTolerance: 30 };

  async function isLive(sessionId, userId) {
    const cached = await redis.get(sessionKey(sessionId));
    if (cached !== null) {
      return cached === hex(userId);
    }

    const { rows } = await pool.query(
      'SELECT user_id, expires_at FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()', [sessionId]);
    if (rows.length === 1) {
      const ttl = Math.floor((rows[0].expires_at.getTime() - Date.now()) / 1000);
      if (ttl > 0) {
        await redis.set(sessionKey(sessionId), hex(rows[0].user_id), { EX: ttl });
      }
    }

    return rows.length === 1 && hex(rows[0].user_id) === hex(userId);
  }

  /** The user id of a live session's token, or null. */
  return async function authenticate(token) {
    let claims;
    try {
      claims = jwt.verify(token ?? '', key, verifyOptions);
    } catch {
      return null;
    }

    if (!uuidPattern.test(claims.sub ?? '') || !uuidPattern.test(claims.sid ?? '')) {
      return null;
    }

    return await isLive(claims.sid, claims.sub) ? claims.sub.toLowerCase() : null;
  };
}
