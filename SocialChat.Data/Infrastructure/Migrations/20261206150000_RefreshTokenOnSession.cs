using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SocialChat.Data.Infrastructure.Migrations
{
    /// <summary>
    /// A session keeps only its current refresh token's hash and its count of refreshes; refresh_tokens, a row per token
    /// ever issued (kept for reuse detection), goes. The current tokens move over, so every signed-in client keeps
    /// working. A token rotated before this migration is from then on refused as unknown, without revoking its session:
    /// only tokens issued after it name their session (RefreshTokens).
    /// </summary>
    public partial class RefreshTokenOnSession : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "refresh_token_hash",
                table: "sessions",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "refreshes",
                table: "sessions",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // A session without a current token (revoked for reuse, or seeded by the load tool) gets the hash of a secret
            // nobody holds, so that no token refreshes it.
            migrationBuilder.Sql(
                """
                UPDATE sessions s SET refresh_token_hash = t.token_hash
                FROM refresh_tokens t WHERE t.session_id = s.id AND t.rotated_at IS NULL;
                UPDATE sessions SET refresh_token_hash = sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'))
                WHERE refresh_token_hash IS NULL;
                """);

            migrationBuilder.AlterColumn<byte[]>(
                name: "refresh_token_hash",
                table: "sessions",
                type: "bytea",
                nullable: false,
                oldClrType: typeof(byte[]),
                oldType: "bytea",
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_sessions_refresh_token_hash",
                table: "sessions",
                column: "refresh_token_hash",
                unique: true);

            migrationBuilder.DropTable(
                name: "refresh_tokens");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "refresh_tokens",
                columns: table => new
                {
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    rotated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    session_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_refresh_tokens", x => x.token_hash);
                    table.ForeignKey(
                        name: "fk_refresh_tokens_sessions_session_id",
                        column: x => x.session_id,
                        principalTable: "sessions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_expires_at",
                table: "refresh_tokens",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_refresh_tokens_session_id",
                table: "refresh_tokens",
                column: "session_id");

            // The current tokens move back; the earlier ones were never kept.
            migrationBuilder.Sql(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
                SELECT refresh_token_hash, id, last_seen_at, expires_at FROM sessions;
                """);

            migrationBuilder.DropIndex(
                name: "ix_sessions_refresh_token_hash",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "refresh_token_hash",
                table: "sessions");

            migrationBuilder.DropColumn(
                name: "refreshes",
                table: "sessions");
        }
    }
}
