using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// At most one unread message notification per member and conversation: the Worker's MessageNotifier inserts with
    /// this index as its conflict target, and a read marker that moves finds the one to mark read through it.
    /// </summary>
    public partial class UnreadMessageNotificationIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_notifications_recipient_id_conversation_id",
                table: "notifications",
                columns: new[] { "recipient_id", "conversation_id" },
                unique: true,
                filter: "kind = 'Message' AND read_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_notifications_recipient_id_conversation_id",
                table: "notifications");
        }
    }
}
