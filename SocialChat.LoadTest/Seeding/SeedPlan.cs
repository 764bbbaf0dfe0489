namespace SocialChat.LoadTest.Seeding;

/// <summary>A user made for this run, with a live session and an access token the services accept.</summary>
internal sealed record SeededUser(int Index, Guid Id, Guid SessionId);

internal sealed record SeededConversation(Guid Id, bool Direct, int[] Members);

internal sealed record SeedPlan(string RunId, IReadOnlyList<SeededUser> Users, IReadOnlyList<SeededConversation> Conversations)
{
    /// <summary>Which conversations each user is a member of, by user index.</summary>
    public IReadOnlyList<Guid>[] MembershipsByUser()
    {
        var memberships = Enumerable.Range(0, Users.Count).Select(_ => new List<Guid>()).ToArray();
        foreach (var conversation in Conversations)
        {
            foreach (var member in conversation.Members)
            {
                memberships[member].Add(conversation.Id);
            }
        }

        return memberships;
    }
}
