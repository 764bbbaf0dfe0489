using System.ComponentModel.DataAnnotations;

namespace SocialChat.Api.WebClient;

/// <summary>What the web client at <c>/app</c> needs to know about the system it runs against.</summary>
public sealed class WebClientOptions
{
    public const string SectionName = "WebClient";

    /// <summary>
    /// The SignalR hub the page connects to. By default the page's own origin, as behind nginx (which sends
    /// <c>/hubs/</c> to the Realtime instances); the development app host points it at a Realtime instance.
    /// </summary>
    [Required]
    public string HubUrl { get; set; } = "/hubs/chat";
}
