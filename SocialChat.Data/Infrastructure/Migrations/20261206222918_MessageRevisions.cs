using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// Edits and deletions get a per-conversation revision, so a client that was away can ask for the changes it missed
    /// (<c>?changedAfter=</c>), as it asks for the messages it missed by seq. Both columns are added with a constant
    /// default, which PostgreSQL stores in the catalog without rewriting either table; every existing message reads as
    /// never changed (0). Its index is the next migration's. During the deploy that brings it, Api and Realtime processes
    /// of the previous release still edit and delete without a revision: those changes reach live clients, but not
    /// changedAfter (README, "Deploying to two VPS").
    /// </summary>
    // No designer file with a copy of the whole model: every operation below names its types, so EF Core needs no target
    // model to write it, and the model lives in the snapshot.
    [DbContext(typeof(SocialDbContext))]
    [Migration("20261206222918_MessageRevisions")]
    public partial class MessageRevisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "revision",
                table: "messages",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "last_revision",
                table: "conversations",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "revision",
                table: "messages");

            migrationBuilder.DropColumn(
                name: "last_revision",
                table: "conversations");
        }
    }
}
