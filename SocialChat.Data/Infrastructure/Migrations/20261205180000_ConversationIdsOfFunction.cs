using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// The conversations a connection joins, as a function: every connect asks for them, and PostgreSQL planned the
    /// statement anew each time (76 µs of planning for 6 µs of running it, in a storm of 20,000 connects: BENCHMARKS.md),
    /// since nothing is prepared behind PgBouncer. PL/pgSQL keeps its plan for as long as the server connection lives.
    /// </summary>
    // No designer file with a copy of the whole model: this migration changes no table (the snapshot is unchanged)
    // and its SQL is written out, so EF Core has nothing to generate from a target model.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261205180000_ConversationIdsOfFunction")]
    public partial class ConversationIdsOfFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                CREATE FUNCTION conversation_ids_of(member_id uuid)
                RETURNS SETOF uuid
                LANGUAGE plpgsql
                STABLE
                AS $$
                BEGIN
                    RETURN QUERY SELECT m.conversation_id FROM conversation_members AS m WHERE m.user_id = member_id;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION conversation_ids_of(uuid);");
        }
    }
}
