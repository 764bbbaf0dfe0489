using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SocialChat.Data.Infrastructure;

/// <summary>Options shared by the services and by design-time tooling (dotnet ef), so both see one model.</summary>
public static class SocialDbContextOptions
{
    public static void Configure(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();
}

internal sealed class DesignTimeSocialDbContextFactory : IDesignTimeDbContextFactory<SocialDbContext>
{
    public SocialDbContext CreateDbContext(string[] args)
    {
        // dotnet ef only needs the provider to build the model; it never connects to generate a migration.
        var options = new DbContextOptionsBuilder<SocialDbContext>().UseNpgsql("Host=localhost");
        SocialDbContextOptions.Configure(options);
        return new SocialDbContext(options.Options);
    }
}
