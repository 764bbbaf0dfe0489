// The benchmark peer: the seed's design — one Node.js process per node, Socket.IO with the Redis adapter,
// PostgreSQL through a pool — serving what SocialChat's load tool drives (connect, SendMessage,
// MessageReceived) against SocialChat's own database and Redis. BENCHMARKS.md compares the two.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import pg from 'pg';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { createAuthenticator } from './auth.js';
import { createMessages } from './messages.js';
import { readSettings } from './settings.js';

const SendsPerSecond = 10; // SocialChat's HubRateLimits defaults: 10 sends/s per connection, bursts of 20
const SendBurst = 20;

const settings = readSettings();
const pool = new pg.Pool({ ...settings.postgres, max: settings.poolSize });
const redis = createClient({ url: settings.redis });
const subscriber = redis.duplicate();
await Promise.all([redis.connect(), subscriber.connect()]);

const authenticate = createAuthenticator({ settings, redis, pool });
const sendMessage = createMessages(pool);

const http = createServer((request, response) => {
  response.writeHead(request.url === '/health' ? 200 : 404).end();
});
const io = new Server(http, { adapter: createAdapter(redis, subscriber), serveClient: false, transports: ['websocket'] });

// Socket.IO's own advice for many connections: the upgrade request is not needed once the handshake is done.
io.engine.on('connection', (rawSocket) => {
  rawSocket.request = null;
});

// Everything a connection needs is looked up before it is accepted, so its rooms are joined before the client
// hears "connected": a message sent after that reaches it, as after SocialChat's first hub invocation.
io.use(async (socket, next) => {
  try {
    const userId = await authenticate(socket.handshake.auth?.access_token ?? socket.handshake.query.access_token);
    if (!userId) {
      return next(new Error('unauthorized'));
    }

    const { rows } = await pool.query('SELECT conversation_id FROM conversation_members WHERE user_id = $1', [userId]);
    socket.data.userId = userId;
    socket.data.rooms = [`user:${userId}`, ...rows.map((r) => `conversation:${r.conversation_id}`)];
    return next();
  } catch (error) {
    console.error('connect failed:', error.message);
    return next(new Error('unavailable'));
  }
});

io.on('connection', (socket) => {
  socket.join(socket.data.rooms);
  socket.data.rooms = undefined;
  let tokens = SendBurst;
  let refilledAt = Date.now();

  socket.on('SendMessage', async (conversationId, clientMessageId, body, replyToSeq, ack) => {
    if (typeof ack !== 'function') {
      return;
    }

    const seconds = Math.floor((Date.now() - refilledAt) / 1000);
    tokens = Math.min(SendBurst, tokens + seconds * SendsPerSecond);
    refilledAt += seconds * 1000;
    if (tokens === 0) {
      return ack({ error: 'Rate limited: too many messages from this connection; slow down and retry.' });
    }

    tokens--;
    try {
      const result = await sendMessage(socket.data.userId, conversationId, clientMessageId, body, replyToSeq ?? null);
      if (result.created) {
        io.to(`conversation:${result.message.conversationId}`).emit('MessageReceived', result.message);
      }

      ack(result.error ? { error: result.error } : { message: result.message });
    } catch (error) {
      console.error('SendMessage failed:', error.message);
      ack({ error: 'The message could not be stored; retry with the same clientMessageId.' });
    }
  });
});

http.listen(settings.port, '127.0.0.1', () => console.log(`peer listening on http://127.0.0.1:${settings.port}`));

const stop = () => {
  io.close();
  Promise.allSettled([pool.end(), redis.quit(), subscriber.quit()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
