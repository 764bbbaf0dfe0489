using System.Text;
using System.Text.Json;
using SocialChat.Data.Messages;

namespace SocialChat.LoadTest.Fleet;

/// <summary>
/// What the load tool keeps of a delivered message: its conversation and seq (to count it received), and for a load
/// message its step and send time (<see cref="MessageBody"/>; 0 for any other message).
/// </summary>
internal readonly record struct Delivery(Guid ConversationId, long Seq, int Step, long SentTimestamp)
{
    public bool IsLoadMessage => SentTimestamp != 0;

    public static Delivery From(MessageResponse message)
    {
        var (step, sent) = MessageBody.Read(Encoding.UTF8.GetBytes(message.Body ?? string.Empty));
        return new(message.ConversationId, message.Seq, step, sent);
    }

    /// <summary>
    /// Reads a message of the public contract (<see cref="MessageResponse"/>'s JSON) from <paramref name="reader"/>, which
    /// is on its start; leaves the reader on its end. Only the three fields the tool keeps are read, without building the
    /// message: at 40,000 deliveries a second beside the servers it measures, the tool's every allocation and parse per
    /// delivery is CPU taken from them.
    /// </summary>
    public static Delivery Read(ref Utf8JsonReader reader)
    {
        Guid conversationId = default;
        long seq = 0;
        int step = 0;
        long sent = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("conversationId"u8))
            {
                reader.Read();
                conversationId = reader.GetGuid();
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("body"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    (step, sent) = MessageBody.Read(reader.ValueSpan);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new(conversationId, seq, step, sent);
    }
}
