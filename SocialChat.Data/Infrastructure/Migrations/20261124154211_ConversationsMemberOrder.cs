using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class ConversationsMemberOrder : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_conversation_members_conversation_id_joined_at_user_id",
                table: "conversation_members",
                columns: new[] { "conversation_id", "joined_at", "user_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_conversation_members_conversation_id_joined_at_user_id",
                table: "conversation_members");
        }
    }
}
