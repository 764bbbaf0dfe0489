using Microsoft.Extensions.Options;
using SocialChat.Data.Infrastructure;
using SocialChat.Data.Notifications;
using SocialChat.Data.Realtime;
using SocialChat.Data.Social;

namespace SocialChat.Api.Social;

/// <summary>What the social handlers need, as one [AsParameters] record.</summary>
public sealed record SocialServices(
    SocialDbContext Db, Notifier Notifier, HomeFeed HomeFeed, TimelineStore Timelines, IPresenceSubscriptions PresenceSubscriptions, IOptions<SocialOptions> Options);
