using Microsoft.EntityFrameworkCore;
using SocialChat.Data.Auth;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Notifications;
using SocialChat.Data.Social;
using SocialChat.Data.Users;

namespace SocialChat.Data.Infrastructure;

public sealed class SocialDbContext(DbContextOptions<SocialDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public DbSet<Block> Blocks => Set<Block>();

    public DbSet<Session> Sessions => Set<Session>();


    public DbSet<Conversation> Conversations => Set<Conversation>();

    public DbSet<ConversationMember> ConversationMembers => Set<ConversationMember>();

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<Follow> Follows => Set<Follow>();

    public DbSet<Post> Posts => Set<Post>();

    public DbSet<PostLike> PostLikes => Set<PostLike>();

    public DbSet<Comment> Comments => Set<Comment>();

    public DbSet<FanOutJob> FanOutJobs => Set<FanOutJob>();

    public DbSet<Notification> Notifications => Set<Notification>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SocialDbContext).Assembly);
}
