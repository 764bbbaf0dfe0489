using MessagePack;
using SocialChat.Data.Conversations;
using SocialChat.Data.Messages;
using SocialChat.Data.Realtime;

namespace SocialChat.Tests.Realtime;

/// <summary>MessagePack carries the same camelCase names (and enum strings) as JSON.</summary>
public sealed class MessagePackShapeTests
{
    [Fact]
    public void Contract_records_are_maps_with_camel_case_keys_and_round_trip()
    {
        var message = new MessageResponse(Guid.NewGuid(), Guid.NewGuid(), 7, Guid.NewGuid(), Guid.NewGuid(), "hi", null, DateTime.UtcNow, null, null, 0);
        var conversation = new ConversationResponse(Guid.NewGuid(), ConversationKind.Group, "t", 3, message, 7, 0, 5, 2, DateTime.UtcNow, DateTime.UtcNow);

        var bytes = MessagePackSerializer.Serialize(conversation, ContractMessagePackResolver.Options);
        var json = MessagePackSerializer.ConvertToJson(bytes, ContractMessagePackResolver.Options);
        var back = MessagePackSerializer.Deserialize<ConversationResponse>(bytes, ContractMessagePackResolver.Options);

        Assert.Contains("\"lastMessage\":{\"id\":", json);
        Assert.Contains("\"conversationId\":", json);
        Assert.Contains("\"kind\":\"group\"", json);
        Assert.Equal(conversation with { LastMessage = null }, back with { LastMessage = null });
        Assert.Equal(message.Id, back.LastMessage?.Id);
        Assert.Equal(message.Body, back.LastMessage?.Body);
    }
}
