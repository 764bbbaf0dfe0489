namespace SocialChat.Tests.Reliability;

/// <summary>
/// The fault tests (RELIABILITY.md) each start a system of their own and break it; one at a time, so a loaded
/// machine runs one such system beside the shared one, and the timings they check are not skewed by each other.
/// </summary>
[CollectionDefinition(Collection)]
public sealed class FaultTests
{
    public const string Collection = "Fault tests";
}
