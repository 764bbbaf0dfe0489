using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// The index of changed messages (<c>?changedAfter=</c>), built CONCURRENTLY: messages is the table every send writes,
    /// and a plain CREATE INDEX would hold its sends for the whole scan of it. A concurrent build runs outside a
    /// transaction, so it has a migration of its own, and one that failed part way is dropped first: it would have left
    /// an invalid index that IF NOT EXISTS would take for built.
    /// </summary>
    // No designer file with a copy of the whole model: its SQL is written out, and the model lives in the snapshot.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261206222919_MessageRevisionsIndex")]
    public partial class MessageRevisionsIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX CONCURRENTLY IF EXISTS ix_messages_conversation_id_revision;", suppressTransaction: true);
            migrationBuilder.Sql(
                "CREATE INDEX CONCURRENTLY ix_messages_conversation_id_revision ON messages (conversation_id, revision) WHERE revision > 0;",
                suppressTransaction: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX CONCURRENTLY IF EXISTS ix_messages_conversation_id_revision;", suppressTransaction: true);
        }
    }
}
