using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Conversations;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> builder)
    {
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.Title).HasMaxLength(100);
        builder.Property(c => c.DirectKey).HasMaxLength(73);

        // One direct conversation per pair, even when both users open it at the same moment.
        builder.HasIndex(c => c.DirectKey).IsUnique();
    }
}
