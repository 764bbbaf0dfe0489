namespace SocialChat.Tests.Support;

/// <summary>
/// scripts/test.sh runs the suite in two phases: everything else in parallel, then the tests marked
/// <c>[Trait(TestPhases.Category, TestPhases.Alone)]</c> one by one on an otherwise quiet machine, for tests whose
/// bounds are on timing spread that the rest of the suite's load on two cores would decide instead.
/// </summary>
public static class TestPhases
{
    public const string Category = "Category";

    public const string Alone = "Alone";
}
