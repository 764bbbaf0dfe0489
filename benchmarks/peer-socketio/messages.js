import { v7 as uuidv7 } from 'uuid';

const MaxBodyLength = 4000;
const IdempotencyIndex = 'ix_messages_conversation_id_sender_id_client_message_id';
const UniqueViolation = '23505';
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const emptyUuid = '00000000-0000-0000-0000-000000000000';

/** SocialChat's TextInput.Normalize for message bodies: one kind of line break, no control characters, trimmed, NFC. */
function normalizeBody(text) {
  const lines = (text ?? '').replace(/\r\n|[\r\u0085\u2028\u2029\f]/g, '\n');
  // A lone surrogate is not Unicode; U+0000 cannot even be stored in PostgreSQL.
  if (/[\x00-\x08\x0b-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(lines)) {
    return { error: 'The body must not contain control characters other than line feeds and tabs.' };
  }

  const body = lines.trim().normalize('NFC');
  if (body.length === 0) {
    return { error: 'The body must not be empty.' };
  }

  return body.length > MaxBodyLength ? { error: `The body must be at most ${MaxBodyLength} characters.` } : { body };
}

const toMessage = (row) => ({
  id: row.id,
  conversationId: row.conversation_id,
  seq: Number(row.seq),
  senderId: row.sender_id,
  clientMessageId: row.client_message_id,
  body: row.body,
  replyToSeq: row.reply_to_seq === null ? null : Number(row.reply_to_seq),
  createdAt: row.created_at.toISOString(),
  editedAt: row.edited_at?.toISOString() ?? null,
  deletedAt: row.deleted_at?.toISOString() ?? null,
});

const messageColumns = 'id, conversation_id, seq, sender_id, client_message_id, body, reply_to_seq, created_at, edited_at, deleted_at';

/**
 * The seed's send, as SocialChat's Messages.SendAsync was before it grouped sends into shared commits: membership,
 * an earlier send with the same clientMessageId, replyToSeq, blocks in a direct conversation; then one transaction
 * per send that takes the next seq
 * by bumping the conversation's counter (its row lock serialises concurrent senders: no gaps, no duplicates),
 * inserts the message and moves the sender's read marker. Committed before anyone is told: the caller emits
 * only what this returns. Answers { message } or { error }.
 */
export function createMessages(pool) {
  const findSent = async (conversationId, senderId, clientMessageId) => {
    const { rows } = await pool.query(
      `SELECT ${messageColumns} FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_message_id = $3`,
      [conversationId, senderId, clientMessageId]);
    return rows.length === 1 ? toMessage(rows[0]) : null;
  };

  async function otherMemberBlocks(conversationId, senderId) {
    const { rows } = await pool.query(
      `SELECT EXISTS (SELECT 1 FROM blocks b JOIN conversation_members m ON m.conversation_id = $1 AND m.user_id <> $2
         WHERE (b.blocker_id = $2 AND b.blocked_id = m.user_id) OR (b.blocker_id = m.user_id AND b.blocked_id = $2)) AS blocked`,
      [conversationId, senderId]);
    return rows[0].blocked;
  }

  /** The stored message, or null when a concurrent send with the same clientMessageId won the race. */
  async function insert(senderId, conversationId, clientMessageId, body, replyToSeq) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const now = new Date();
      const { rows: [{ last_seq: seq }] } = await client.query(
        'UPDATE conversations SET last_seq = last_seq + 1, updated_at = $1 WHERE id = $2 RETURNING last_seq', [now, conversationId]);
      let inserted;
      try {
        ({ rows: [inserted] } = await client.query(
          `INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, body, reply_to_seq, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${messageColumns}`,
          [uuidv7(), conversationId, seq, senderId, clientMessageId, body, replyToSeq, now]));
      } catch (error) {
        if (error.code === UniqueViolation && error.constraint === IdempotencyIndex) {
          // Rolling back takes the seq increment with it, so the winner's seq is the only one: no gap.
          await client.query('ROLLBACK');
          return null;
        }
        throw error;
      }

      // Sending implies having read up to one's own message.
      await client.query(
        'UPDATE conversation_members SET last_read_seq = $3 WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3',
        [conversationId, senderId, seq]);
      await client.query('COMMIT');
      return toMessage(inserted);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  return async function sendMessage(senderId, conversationId, clientMessageId, text, replyToSeq) {
    if (!uuidPattern.test(clientMessageId ?? '') || clientMessageId === emptyUuid) {
      return { error: 'A client-made UUID is required, so a retried send is not stored twice.' };
    }

    const { body, error } = normalizeBody(text);
    if (error) {
      return { error };
    }

    if (!uuidPattern.test(conversationId ?? '')) {
      return { error: 'Conversation not found.' };
    }

    const { rows: [conversation] } = await pool.query(
      `SELECT c.kind, c.last_seq FROM conversations c
       WHERE c.id = $1 AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id AND m.user_id = $2)`,
      [conversationId, senderId]);
    if (!conversation) {
      return { error: 'Conversation not found.' };
    }

    const earlier = await findSent(conversationId, senderId, clientMessageId);
    if (earlier) {
      return { message: earlier, created: false };
    }

    if (replyToSeq != null && (!Number.isInteger(replyToSeq) || replyToSeq < 1 || replyToSeq > Number(conversation.last_seq))) {
      return { error: 'replyToSeq must be the seq of a message in this conversation.' };
    }

    if (conversation.kind === 'Direct' && await otherMemberBlocks(conversationId, senderId)) {
      return { error: 'You cannot message this user.' };
    }

    const message = await insert(senderId, conversationId, clientMessageId, body, replyToSeq ?? null);
    if (!message) {
      return { message: await findSent(conversationId, senderId, clientMessageId), created: false };
    }

    return { message, created: true };
  };
}
