namespace SocialChat.Api.Messages;

/// <summary>What the message handlers need, as one [AsParameters] record.</summary>
public sealed record MessageServices(Data.Messages.Messages Messages);
