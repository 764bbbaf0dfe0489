using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// Whose presence a viewer may see, as a function: clients subscribe to presence as they connect, and PostgreSQL
    /// planned the same statement anew for each of them (417 µs of planning for 4 µs of running it, in a storm of
    /// 20,000 connects: BENCHMARKS.md). PL/pgSQL keeps its plan for as long as the server connection lives.
    /// </summary>
    // No designer file with a copy of the whole model: this migration changes no table (the snapshot is unchanged)
    // and its SQL is written out, so EF Core has nothing to generate from a target model.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261205063000_VisibleUsersFunction")]
    public partial class VisibleUsersFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The users among user_ids whose presence viewer_id may see (PresenceTracker): the viewer, whom the viewer
            // follows, and whoever shares a conversation with the viewer.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION visible_users(viewer_id uuid, user_ids uuid[])
                RETURNS TABLE (id uuid, last_seen_at timestamptz)
                LANGUAGE plpgsql
                STABLE
                SET plan_cache_mode = force_generic_plan
                -- Every read here is a probe by key: see lock_for_sends (migration StoreMessagesFunction) for why.
                SET enable_seqscan = off
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT u.id, u.last_seen_at
                    FROM users AS u
                    WHERE u.id = ANY(user_ids) AND (u.id = viewer_id
                        OR EXISTS (SELECT 1 FROM follows AS f WHERE f.follower_id = viewer_id AND f.followee_id = u.id)
                        OR EXISTS (
                            SELECT 1
                            FROM conversation_members AS mine
                            JOIN conversation_members AS theirs ON theirs.conversation_id = mine.conversation_id
                            WHERE mine.user_id = viewer_id AND theirs.user_id = u.id));
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION visible_users(uuid, uuid[]);");
        }
    }
}
