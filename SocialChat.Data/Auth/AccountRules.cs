using System.Net.Mail;
using System.Text;
using System.Text.RegularExpressions;
using SocialChat.Data.Common;

namespace SocialChat.Data.Auth;

/// <summary>The contract's limits on account fields; each check adds its message under the field's name.</summary>
public static partial class AccountRules
{
    public const int MaxDisplayNameLength = 64;
    public const int MaxEmailLength = 254;
    public const int MaxDeviceNameLength = 100;

    /// <summary>3–32 of [a-z0-9_]; mixed case is accepted and stored lower-case.</summary>
    public static string? CheckUsername(string? username, Dictionary<string, string[]> errors)
    {
        // Checked before lower-casing: the Kelvin sign (U+212A) and the like lower-case into a–z, but nobody typed "k".
        var trimmed = username?.Trim();
        if (trimmed is null || !UsernamePattern().IsMatch(trimmed))
        {
            errors["username"] = ["The username must be 3–32 characters of a–z, 0–9 and _."];
            return null;
        }

        return trimmed.ToLowerInvariant();
    }

    public static string? CheckEmail(string? email, Dictionary<string, string[]> errors)
    {
        var trimmed = email?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxEmailLength || TextInput.ControlCharacterError(trimmed, "email") is not null
            || !MailAddress.TryCreate(trimmed, out var address) || address.Address != trimmed || !trimmed.Contains('.', StringComparison.Ordinal))
        {
            errors["email"] = ["The email must be a valid address."];
            return null;
        }

        return trimmed;
    }

    public static string? CheckDisplayName(string? displayName, Dictionary<string, string[]> errors)
    {
        if (TextInput.ControlCharacterError(displayName, "displayName") is { } refused)
        {
            errors["displayName"] = [refused];
            return null;
        }

        var trimmed = displayName?.Trim().Normalize(NormalizationForm.FormC);
        if (trimmed is not null && TextInput.CharacterCount(trimmed) > MaxDisplayNameLength)
        {
            errors["displayName"] = [$"The display name must be at most {MaxDisplayNameLength} characters."];
            return null;
        }

        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_]{3,32}\z")]
    private static partial Regex UsernamePattern();
}
