namespace SocialChat.Api.Conversations;

/// <summary>What the conversation handlers need, as one [AsParameters] record.</summary>
public sealed record ConversationServices(Data.Conversations.Conversations Conversations);
