using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Notifications;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> builder)
    {
        builder.Property(n => n.Kind).HasConversion<string>().HasMaxLength(16);

        // A user's notifications newest first; ids are v7, so id order is time order.
        builder.HasIndex(n => new { n.RecipientId, n.Id });

        // At most one unread message notification per member and conversation (MessageNotifier's conflict target);
        // also how reading a conversation finds the one to mark read.
        builder.HasIndex(n => new { n.RecipientId, n.ConversationId }).IsUnique().HasFilter("kind = 'Message' AND read_at IS NULL");

        builder.HasOne<User>().WithMany().HasForeignKey(n => n.RecipientId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(n => n.ActorId).OnDelete(DeleteBehavior.Cascade);
    }
}
