namespace SocialChat.Data.Common;

/// <summary>
/// Which rule a domain operation refused on. The doors translate it: REST into a problem+json status,
/// the hub into a HubException with the same detail.
/// </summary>
public abstract record DomainError(string Detail)
{
    /// <summary>Bad input: field → messages, the contract's 400 <c>errors</c> object.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors, string Detail = "One or more fields are invalid.") : DomainError(Detail)
    {
        public static Invalid Field(string field, string message) => new(new Dictionary<string, string[]> { [field] = [message] }, message);
    }

    /// <summary>Does not exist, or the caller may not know that it exists.</summary>
    public sealed record NotFound(string Detail) : DomainError(Detail);

    /// <summary>Authenticated, known, but not allowed.</summary>
    public sealed record Forbidden(string Detail) : DomainError(Detail);

    public sealed record Conflict(string Detail) : DomainError(Detail);

    public sealed record Unauthorized(string Detail) : DomainError(Detail);

    public sealed record TooManyRequests(string Detail, TimeSpan RetryAfter) : DomainError(Detail);
}
