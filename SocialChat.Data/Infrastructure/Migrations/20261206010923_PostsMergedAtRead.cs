using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// Records on each post whether it was fanned out or is merged into feeds at read time, so that the choice no
    /// longer follows the author's follower count of the moment (a post written while popular vanished from feeds
    /// once the author fell below the threshold).
    /// </summary>
    public partial class PostsMergedAtRead : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "merged_at_read",
                table: "posts",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // Until now a post was merged at read while its author had at least the threshold of followers (10,000, the
            // production setting; the migration cannot read configuration): keep showing those that way. Any of them
            // that were fanned out before the author became popular are in timelines too, and a feed shows a post once.
            migrationBuilder.Sql("UPDATE posts SET merged_at_read = true WHERE author_id IN (SELECT id FROM users WHERE follower_count >= 10000);");

            migrationBuilder.CreateIndex(
                name: "ix_posts_merged_at_read_author_id_id",
                table: "posts",
                columns: new[] { "author_id", "id" },
                filter: "merged_at_read");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_posts_merged_at_read_author_id_id",
                table: "posts");

            migrationBuilder.DropColumn(
                name: "merged_at_read",
                table: "posts");
        }
    }
}
