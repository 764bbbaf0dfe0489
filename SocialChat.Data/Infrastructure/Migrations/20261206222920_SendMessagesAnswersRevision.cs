using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// send_messages answers a message's revision too: a retried send is answered the message as it is now, and its
    /// revision must be the one of that body, read with it under the conversation's lock (an edit takes that lock
    /// before it takes its revision). A created message answers 0. The checks, the numbering and the rows written are
    /// the same; the answer has one more column, last, so a process of the previous release, which reads the first
    /// eight by position, keeps working during a deploy. The return type changes, so both signatures are dropped and
    /// made again in the migration's one transaction.
    /// </summary>
    // No designer file with a copy of the whole model: this migration changes no table (the snapshot is unchanged)
    // and its SQL is written out, so EF Core has nothing to generate from a target model.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261206222920_SendMessagesAnswersRevision")]
    public partial class SendMessagesAnswersRevision : Migration
    {
        private const string SendMessages = """
        CREATE FUNCTION send_messages(
            ids uuid[], conversation_ids uuid[], sender_ids uuid[], client_message_ids uuid[],
            bodies text[], reply_to_seqs bigint[])
        RETURNS TABLE (
            outcome text, message_id uuid, message_seq bigint, message_body varchar, message_reply_to_seq bigint,
            message_created_at timestamptz, message_edited_at timestamptz, message_deleted_at timestamptz, message_revision bigint)
        LANGUAGE plpgsql
        SET plan_cache_mode = force_generic_plan
        -- Every read here is a probe by key: see lock_for_sends (migration StoreMessagesFunction) for why.
        SET enable_seqscan = off
        AS $$
        DECLARE
            send record;
            -- The created sends' createdAt, and their conversations' updated_at: one time for the whole call.
            sent_at timestamptz;
            -- The seq each created send took, by its position (null: not created).
            created_seqs bigint[] := array_fill(NULL::bigint, ARRAY[cardinality(ids)]);
            -- The conversations this call advanced, and the last seq each has reached.
            advanced uuid[] := '{}';
            advanced_to bigint[] := '{}';
            slot integer;
            previous_seq bigint;
            -- The senders' read markers to move: conversation, reader and seq, one per reader.
            read_conversations uuid[];
            readers uuid[];
            read_up_to bigint[];
        BEGIN
            -- In id order, so that two commits never wait on each other in a circle. Under these locks every other
            -- send to these conversations waits, so what is read next is final.
            PERFORM 1 FROM conversations AS c WHERE c.id = ANY(conversation_ids) ORDER BY c.id FOR UPDATE;
            -- The time is taken under the locks, so a commit that waited for another's takes its time after that
            -- one's, as it takes its seqs after: createdAt and updated_at follow seq whichever process sent. The clock,
            -- not now(): the transaction began before the wait.
            sent_at := clock_timestamp();

            FOR send IN
                SELECT s.position::integer AS position, s.conversation_id, s.reply_to_seq, c.last_seq,
                    m.user_id IS NOT NULL AS is_member,
                    c.direct_key IS NOT NULL AND EXISTS (
                        SELECT 1
                        FROM conversation_members AS other
                        JOIN blocks AS b
                            ON (b.blocker_id = s.sender_id AND b.blocked_id = other.user_id)
                            OR (b.blocker_id = other.user_id AND b.blocked_id = s.sender_id)
                        WHERE other.conversation_id = s.conversation_id AND other.user_id <> s.sender_id) AS blocked,
                    -- A later send with the same key is a retry of the first.
                    (min(s.position) OVER (PARTITION BY s.conversation_id, s.sender_id, s.client_message_id))::integer AS first_position,
                    e.id AS earlier_id, e.seq AS earlier_seq, e.body AS earlier_body, e.reply_to_seq AS earlier_reply_to_seq,
                    e.created_at AS earlier_created_at, e.edited_at AS earlier_edited_at, e.deleted_at AS earlier_deleted_at,
                    e.revision AS earlier_revision
                FROM unnest(conversation_ids, sender_ids, client_message_ids, reply_to_seqs) WITH ORDINALITY
                    AS s(conversation_id, sender_id, client_message_id, reply_to_seq, position)
                LEFT JOIN conversations AS c ON c.id = s.conversation_id
                LEFT JOIN conversation_members AS m ON m.conversation_id = s.conversation_id AND m.user_id = s.sender_id
                LEFT JOIN messages AS e
                    ON e.conversation_id = s.conversation_id AND e.sender_id = s.sender_id AND e.client_message_id = s.client_message_id
                ORDER BY s.position
            LOOP
                message_id := NULL; message_seq := NULL; message_body := NULL; message_reply_to_seq := NULL;
                message_created_at := NULL; message_edited_at := NULL; message_deleted_at := NULL; message_revision := NULL;
                IF send.last_seq IS NULL OR NOT send.is_member THEN
                    outcome := 'not_found';
                ELSIF send.earlier_id IS NOT NULL THEN
                    outcome := 'earlier';
                    message_id := send.earlier_id; message_seq := send.earlier_seq; message_body := send.earlier_body;
                    message_reply_to_seq := send.earlier_reply_to_seq; message_created_at := send.earlier_created_at;
                    message_edited_at := send.earlier_edited_at; message_deleted_at := send.earlier_deleted_at;
                    message_revision := send.earlier_revision;
                ELSIF send.first_position < send.position AND created_seqs[send.first_position] IS NOT NULL THEN
                    -- When the first was refused and a later one stored, a third is not matched here: its INSERT
                    -- breaks the unique key, and MessageCommitter stores the sends one call each instead.
                    outcome := 'earlier';
                    message_id := ids[send.first_position]; message_seq := created_seqs[send.first_position];
                    message_body := bodies[send.first_position]; message_reply_to_seq := reply_to_seqs[send.first_position];
                    message_created_at := sent_at; message_revision := 0;
                ELSE
                    slot := array_position(advanced, send.conversation_id);
                    previous_seq := CASE WHEN slot IS NULL THEN send.last_seq ELSE advanced_to[slot] END;
                    IF send.reply_to_seq > previous_seq THEN
                        outcome := 'reply_out_of_range';
                    ELSIF send.blocked THEN
                        outcome := 'blocked';
                    ELSE
                        outcome := 'created';
                        message_id := ids[send.position]; message_seq := previous_seq + 1;
                        message_body := bodies[send.position]; message_reply_to_seq := send.reply_to_seq;
                        message_created_at := sent_at; message_revision := 0;
                        created_seqs[send.position] := message_seq;
                        IF slot IS NULL THEN
                            advanced := advanced || send.conversation_id;
                            advanced_to := advanced_to || message_seq;
                        ELSE
                            advanced_to[slot] := message_seq;
                        END IF;
                    END IF;
                END IF;
                RETURN NEXT;
            END LOOP;

            INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, body, reply_to_seq, created_at)
            SELECT ids[p], conversation_ids[p], created_seqs[p], sender_ids[p], client_message_ids[p], bodies[p], reply_to_seqs[p], sent_at
            FROM generate_subscripts(created_seqs, 1) AS p
            WHERE created_seqs[p] IS NOT NULL;

            UPDATE conversations AS c SET last_seq = a.last_seq, updated_at = sent_at
            FROM unnest(advanced, advanced_to) AS a(id, last_seq)
            WHERE c.id = a.id;

            -- Sending implies having read up to one's own message. Gathered into arrays first: a join with the
            -- grouped sends themselves is planned for 200 groups, as a hash join over every member's row.
            SELECT array_agg(r.conversation_id), array_agg(r.user_id), array_agg(r.newest)
            INTO read_conversations, readers, read_up_to
            FROM (
                SELECT conversation_ids[p] AS conversation_id, sender_ids[p] AS user_id, max(created_seqs[p]) AS newest
                FROM generate_subscripts(created_seqs, 1) AS p
                WHERE created_seqs[p] IS NOT NULL
                GROUP BY 1, 2) AS r;
            UPDATE conversation_members AS cm SET last_read_seq = r.newest
            FROM unnest(read_conversations, readers, read_up_to) AS r(conversation_id, user_id, newest)
            WHERE cm.conversation_id = r.conversation_id AND cm.user_id = r.user_id AND cm.last_read_seq < r.newest;
        END
        $$;
        """;

        private const string SendMessagesAtTime = """
        CREATE FUNCTION send_messages(
            ids uuid[], conversation_ids uuid[], sender_ids uuid[], client_message_ids uuid[],
            bodies text[], reply_to_seqs bigint[], sent_at timestamptz)
        RETURNS TABLE (
            outcome text, message_id uuid, message_seq bigint, message_body varchar, message_reply_to_seq bigint,
            message_created_at timestamptz, message_edited_at timestamptz, message_deleted_at timestamptz, message_revision bigint)
        LANGUAGE sql
        AS $$ SELECT * FROM send_messages(ids, conversation_ids, sender_ids, client_message_ids, bodies, reply_to_seqs) $$;
        """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            DropBothSignatures(migrationBuilder);
            migrationBuilder.Sql(SendMessages);
            migrationBuilder.Sql(SendMessagesAtTime);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            DropBothSignatures(migrationBuilder);
            // Both signatures as the previous migration made them.
            migrationBuilder.Operations.AddRange(new SendMessagesStampsUnderLocks().UpOperations);
        }

        private static void DropBothSignatures(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION send_messages(uuid[], uuid[], uuid[], uuid[], text[], bigint[], timestamptz);");
            migrationBuilder.Sql("DROP FUNCTION send_messages(uuid[], uuid[], uuid[], uuid[], text[], bigint[]);");
        }
    }
}
