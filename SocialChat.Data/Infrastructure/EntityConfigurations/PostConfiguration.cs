using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Social;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class PostConfiguration : IEntityTypeConfiguration<Post>
{
    // Named, since the conventional name of a second index on (author_id, id) would only differ by a trailing digit.
    private const string MergedAtReadIndex = "ix_posts_merged_at_read_author_id_id";

    public void Configure(EntityTypeBuilder<Post> builder)
    {
        builder.Property(p => p.Body).HasMaxLength(2000);

        // A user's posts newest first, and the timeline rebuild; ids are v7, so id order is time order.
        builder.HasIndex(p => new { p.AuthorId, p.Id });

        // The feed's read-time merge (HomeFeed): a range per followed author over only the posts that were not fanned out.
        builder.HasIndex(p => new { p.AuthorId, p.Id }, MergedAtReadIndex).HasDatabaseName(MergedAtReadIndex).HasFilter("merged_at_read");

        builder.HasOne<User>().WithMany().HasForeignKey(p => p.AuthorId).OnDelete(DeleteBehavior.Cascade);
    }
}
