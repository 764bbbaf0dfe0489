using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// The write of a grouped commit (MessageCommitter) as one PL/pgSQL function. Behind PgBouncer in transaction mode
    /// nothing can be prepared, so PostgreSQL planned the write's three statements anew on every commit (~200 µs of
    /// CPU, BENCHMARKS.md); a PL/pgSQL function keeps its statements' plans in the server process, which outlives the
    /// transaction. The plans are generic from the first call: each statement's plan is the same for any arrays, and
    /// a custom plan per call is the planning this saves. (The commit's lookups stay plain statements: the same done
    /// for them cost more CPU than it saved, BENCHMARKS.md.)
    /// </summary>
    public partial class StoreMessagesFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
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
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION store_messages(uuid[], uuid[], bigint[], uuid[], uuid[], text[], bigint[], timestamptz);");
        }
    }
}
