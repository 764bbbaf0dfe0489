using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Social;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class PostConfiguration : IEntityTypeConfiguration<Post>
{
    public void Configure(EntityTypeBuilder<Post> builder)
    {
        builder.Property(p => p.Body).HasMaxLength(2000);

        // A user's posts newest first, and the timeline rebuild; ids are v7, so id order is time order.
        builder.HasIndex(p => new { p.AuthorId, p.Id });

        builder.HasOne<User>().WithMany().HasForeignKey(p => p.AuthorId).OnDelete(DeleteBehavior.Cascade);
    }
}
