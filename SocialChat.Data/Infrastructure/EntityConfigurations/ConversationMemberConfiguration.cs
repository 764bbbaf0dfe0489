using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Conversations;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class ConversationMemberConfiguration : IEntityTypeConfiguration<ConversationMember>
{
    public void Configure(EntityTypeBuilder<ConversationMember> builder)
    {
        builder.HasKey(m => new { m.ConversationId, m.UserId });
        builder.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);

        // "My conversations" starts from the user's memberships.
        builder.HasIndex(m => new { m.UserId, m.ConversationId });

        // The member list pages in joining order: a range scan, not a sort of a 10,000-member group per page.
        builder.HasIndex(m => new { m.ConversationId, m.JoinedAt, m.UserId });

        builder.HasOne<Conversation>().WithMany().HasForeignKey(m => m.ConversationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
