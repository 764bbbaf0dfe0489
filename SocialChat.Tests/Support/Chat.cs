using SocialChat.Data.Common;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;

namespace SocialChat.Tests.Support;

/// <summary>The conversation calls tests repeat, made through the public API.</summary>
public static class Chat
{
    public static async Task<ConversationResponse> CreateGroupAsync(TestUser owner, params TestUser[] members) =>
        await (await owner.Client.PostJsonAsync("/api/v1/conversations/groups", new { title = "Test group", memberIds = members.Select(m => m.Id) }))
            .ReadAsync<ConversationResponse>();

    public static async Task<ConversationResponse> OpenDirectAsync(TestUser user, TestUser other) =>
        await (await user.Client.PostJsonAsync("/api/v1/conversations/direct", new { userId = other.Id })).ReadAsync<ConversationResponse>();

    public static Task<HttpResponseMessage> PostMessageAsync(TestUser sender, Guid conversationId, string body, Guid? clientMessageId = null) =>
        sender.Client.PostJsonAsync($"/api/v1/conversations/{conversationId}/messages", new { clientMessageId = clientMessageId ?? Guid.NewGuid(), body });

    public static async Task<MessageResponse> SendAsync(TestUser sender, Guid conversationId, string body) =>
        await (await PostMessageAsync(sender, conversationId, body)).ReadAsync<MessageResponse>();

    /// <summary>Everything after that seq, oldest first, following nextCursor to the end: a client's catch-up.</summary>
    public static Task<List<MessageResponse>> CatchUpAsync(TestUser member, Guid conversationId, long after) =>
        ReadToTheEndAsync(member, conversationId, $"after={after}", limit: 100);

    /// <summary>The messages edited or deleted after that revision, in the order of their changes, following nextCursor to the end.</summary>
    public static Task<List<MessageResponse>> CatchUpChangesAsync(TestUser member, Guid conversationId, long changedAfter, int limit = 100) =>
        ReadToTheEndAsync(member, conversationId, $"changedAfter={changedAfter}", limit);

    private static async Task<List<MessageResponse>> ReadToTheEndAsync(TestUser member, Guid conversationId, string range, int limit)
    {
        var messages = new List<MessageResponse>();
        var page = await (await member.Client.GetAsync($"/api/v1/conversations/{conversationId}/messages?{range}&limit={limit}")).ReadAsync<Page<MessageResponse>>();
        messages.AddRange(page.Items);
        while (page.NextCursor is { } cursor)
        {
            page = await (await member.Client.GetAsync($"/api/v1/conversations/{conversationId}/messages?cursor={Uri.EscapeDataString(cursor)}&limit={limit}")).ReadAsync<Page<MessageResponse>>();
            messages.AddRange(page.Items);
        }

        return messages;
    }

    public static async Task<ConversationResponse> GetAsync(TestUser user, Guid conversationId) =>
        await (await user.Client.GetAsync($"/api/v1/conversations/{conversationId}")).ReadAsync<ConversationResponse>();
}
