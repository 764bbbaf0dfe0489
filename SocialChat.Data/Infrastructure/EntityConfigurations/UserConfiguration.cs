using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.Property(u => u.Username).HasMaxLength(32);
        builder.Property(u => u.Email).HasMaxLength(254);
        builder.Property(u => u.NormalizedEmail).HasMaxLength(254);
        builder.Property(u => u.DisplayName).HasMaxLength(64);
        builder.Property(u => u.Bio).HasMaxLength(280);
        builder.Property(u => u.AvatarUrl).HasMaxLength(2048);

        // Uniqueness is the index's job, not a check-then-insert: concurrent registrations race here.
        // text_pattern_ops lets the same index serve the prefix search.
        builder.HasIndex(u => u.Username).IsUnique().HasOperators("text_pattern_ops");
        builder.HasIndex(u => u.NormalizedEmail).IsUnique();
    }
}
