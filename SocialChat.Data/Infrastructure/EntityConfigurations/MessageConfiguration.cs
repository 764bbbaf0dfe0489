using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public const string IdempotencyIndex = "ix_messages_conversation_id_sender_id_client_message_id";

    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.Property(m => m.Body).HasMaxLength(4000);

        // History pages are range scans on (conversation, seq); uniqueness makes a gap-free seq provable.
        builder.HasIndex(m => new { m.ConversationId, m.Seq }).IsUnique();

        // The idempotency key of a send; MessageCommitter looks a retried send up by it under the conversation's lock.
        builder.HasIndex(m => new { m.ConversationId, m.SenderId, m.ClientMessageId }).IsUnique().HasDatabaseName(IdempotencyIndex);

        // The changes a client missed: only changed messages are in it, so a send writes no extra index entry. A query
        // must say Revision > 0 itself for the planner to take it.
        builder.HasIndex(m => new { m.ConversationId, m.Revision }).HasFilter("revision > 0");

        builder.HasOne<Conversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(m => m.SenderId).OnDelete(DeleteBehavior.Restrict);
    }
}
