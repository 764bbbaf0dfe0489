using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// The two round trips of a grouped commit (MessageCommitter) as two PL/pgSQL functions: the locks and checks
    /// (lock_for_sends), then the write (store_messages). Behind PgBouncer in transaction mode nothing can be prepared,
    /// so PostgreSQL planned the commit's seven statements anew on every commit (~400 µs of CPU, BENCHMARKS.md); a
    /// PL/pgSQL function keeps its statements' plans in the server process, which outlives the transaction. The plans
    /// are generic from the first call: a custom plan per call is the planning this saves.
    /// </summary>
    // No designer file with a copy of the whole model: this migration changes no table (the snapshot is unchanged)
    // and its SQL is written out, so EF Core has nothing to generate from a target model.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261204171146_StoreMessagesFunction")]
    public partial class StoreMessagesFunction : Migration
    {
        // A row per send, in the order given. Membership and the retry's earlier message are read after the locks,
        // so no send to these conversations can commit in between. A block stands between the members of a direct
        // conversation when either blocks the other (BlockRules); groups have none.
        internal const string LockForSends = """
        CREATE FUNCTION lock_for_sends(conversation_ids uuid[], sender_ids uuid[], client_message_ids uuid[])
        RETURNS TABLE (
            last_seq bigint, sender_is_member boolean, blocked boolean,
            id uuid, seq bigint, body varchar, reply_to_seq bigint, created_at timestamptz, edited_at timestamptz, deleted_at timestamptz)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        -- Every read here is a probe by key. A generic plan assumes ten sends, and for a small table it chose a
        -- hash join over a scan of all of conversations: few rows, but updated by every commit, so each scan
        -- walked their dead versions too (BENCHMARKS.md).
        SET enable_seqscan = off
        AS $$
        BEGIN
            PERFORM 1 FROM conversations AS c WHERE c.id = ANY(conversation_ids) ORDER BY c.id FOR UPDATE;

            RETURN QUERY
            SELECT c.last_seq, m.user_id IS NOT NULL,
                c.direct_key IS NOT NULL AND EXISTS (
                    SELECT 1
                    FROM conversation_members AS other
                    JOIN blocks AS b
                        ON (b.blocker_id = s.sender_id AND b.blocked_id = other.user_id)
                        OR (b.blocker_id = other.user_id AND b.blocked_id = s.sender_id)
                    WHERE other.conversation_id = s.conversation_id AND other.user_id <> s.sender_id),
                e.id, e.seq, e.body, e.reply_to_seq, e.created_at, e.edited_at, e.deleted_at
            FROM unnest(conversation_ids, sender_ids, client_message_ids) WITH ORDINALITY
                AS s(conversation_id, sender_id, client_message_id, position)
            LEFT JOIN conversations AS c ON c.id = s.conversation_id
            LEFT JOIN conversation_members AS m ON m.conversation_id = s.conversation_id AND m.user_id = s.sender_id
            LEFT JOIN messages AS e
                ON e.conversation_id = s.conversation_id AND e.sender_id = s.sender_id AND e.client_message_id = s.client_message_id
            ORDER BY s.position;
        END
        $$;
        """;

        internal const string StoreMessages = """
        CREATE FUNCTION store_messages(
            ids uuid[], conversation_ids uuid[], seqs bigint[], sender_ids uuid[], client_message_ids uuid[],
            bodies text[], reply_to_seqs bigint[], sent_at timestamptz)
        RETURNS void
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        AS $$
        DECLARE
            conversation uuid;
            sender uuid;
            newest bigint;
        BEGIN
            INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, body, reply_to_seq, created_at)
            SELECT m.id, m.conversation_id, m.seq, m.sender_id, m.client_message_id, m.body, m.reply_to_seq, sent_at
            FROM unnest(ids, conversation_ids, seqs, sender_ids, client_message_ids, bodies, reply_to_seqs)
                AS m(id, conversation_id, seq, sender_id, client_message_id, body, reply_to_seq);

            FOR conversation, newest IN
                SELECT v.conversation_id, max(v.seq) FROM unnest(conversation_ids, seqs) AS v(conversation_id, seq)
                GROUP BY v.conversation_id
            LOOP
                UPDATE conversations SET last_seq = newest, updated_at = sent_at WHERE id = conversation;
            END LOOP;

            -- Sending implies having read up to one's own message.
            FOR conversation, sender, newest IN
                SELECT v.conversation_id, v.sender_id, max(v.seq)
                FROM unnest(conversation_ids, sender_ids, seqs) AS v(conversation_id, sender_id, seq)
                GROUP BY v.conversation_id, v.sender_id
            LOOP
                UPDATE conversation_members SET last_read_seq = newest
                WHERE conversation_id = conversation AND user_id = sender AND last_read_seq < newest;
            END LOOP;
        END
        $$;
        """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(LockForSends);
            migrationBuilder.Sql(StoreMessages);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION lock_for_sends(uuid[], uuid[], uuid[]);");
            migrationBuilder.Sql("DROP FUNCTION store_messages(uuid[], uuid[], bigint[], uuid[], uuid[], text[], bigint[], timestamptz);");
        }
    }
}
