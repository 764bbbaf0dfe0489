namespace SocialChat.Data.Common;

public static class Paging
{
    /// <summary>
    /// The page size the caller asked for (default 50, at most 100) and the keyset position its cursor
    /// carries; an out-of-range limit or a cursor that does not decode is the caller's error.
    /// </summary>
    public static int Resolve<TPosition>(int? limit, string? cursor, out TPosition? position, out DomainError? error)
    {
        position = default;
        error = null;
        if (limit is < 1 or > PageLimit.Max)
        {
            error = DomainError.Invalid.Field("limit", $"The limit must be between 1 and {PageLimit.Max}.");
            return 0;
        }

        if (!string.IsNullOrEmpty(cursor) && !Cursor.TryDecode(cursor, out position))
        {
            error = DomainError.Invalid.Field("cursor", "The cursor is not valid; pass back a nextCursor exactly as it was given.");
            return 0;
        }

        return limit ?? PageLimit.Default;
    }
}
