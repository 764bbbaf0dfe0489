using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Auth;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> builder)
    {
        builder.HasKey(t => t.TokenHash);
        builder.HasIndex(t => t.SessionId);
        // The retention purge's expired tokens, without reading the whole table each time.
        builder.HasIndex(t => t.ExpiresAt);
        builder.HasOne<Session>().WithMany().HasForeignKey(t => t.SessionId).OnDelete(DeleteBehavior.Cascade);
    }
}
