using System.Text;

namespace SocialChat.Data.Common;

/// <summary>
/// User-written text (messages, posts, comments): trimmed and NFC-normalised before its length is checked,
/// so the limit counts what is stored and two spellings of "é" compare equal. Stored as plain text; clients escape.
/// </summary>
public static class TextInput
{
    public static Result<string> Normalize(string? text, string field, int maxLength)
    {
        var normalized = (text ?? string.Empty).Trim().Normalize(NormalizationForm.FormC);
        if (normalized.Length == 0)
        {
            return DomainError.Invalid.Field(field, $"The {field} must not be empty.");
        }

        if (normalized.Length > maxLength)
        {
            return DomainError.Invalid.Field(field, $"The {field} must be at most {maxLength} characters.");
        }

        return normalized;
    }
}
