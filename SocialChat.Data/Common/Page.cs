namespace SocialChat.Data.Common;

/// <summary>One keyset page of a list: the contract's <c>{ items, nextCursor }</c>.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

public static class PageLimit
{
    public const int Default = 50;
    public const int Max = 100;
}
