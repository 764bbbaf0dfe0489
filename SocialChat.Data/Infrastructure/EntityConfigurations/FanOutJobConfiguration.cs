using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SocialChat.Data.Social;

namespace SocialChat.Data.Infrastructure.EntityConfigurations;

internal sealed class FanOutJobConfiguration : IEntityTypeConfiguration<FanOutJob>
{
    public void Configure(EntityTypeBuilder<FanOutJob> builder)
    {
        builder.Property(j => j.Id).UseIdentityAlwaysColumn();
        builder.Property(j => j.Kind).HasConversion<string>().HasMaxLength(16);
    }
}
