using System.Text;

namespace SocialChat.Data.Common;

/// <summary>
/// User-written text. Bodies (messages, posts, comments) and names (display names, bios, titles) are trimmed and
/// NFC-normalised before their length is checked, so the limit counts what is stored and two spellings of "é" compare
/// equal; a limit counts characters (<see cref="CharacterCount"/>), not UTF-16 units. Stored as plain text;
/// clients escape. Every user-written field refuses characters nobody types: they hide text from readers
/// (U+0000 is not even storable in PostgreSQL), and a lone surrogate is not Unicode at all.
/// </summary>
public static class TextInput
{
    public static Result<string> Normalize(string? text, string field, int maxLength)
    {
        // Keyboards on Windows type "\r\n": a body holds one kind of line break, "\n", whoever typed it.
        var lines = text?.ReplaceLineEndings("\n");
        if (ControlCharacterError(lines, field, multiLine: true) is { } refused)
        {
            return DomainError.Invalid.Field(field, refused);
        }

        var normalized = (lines ?? string.Empty).Trim().Normalize(NormalizationForm.FormC);
        if (normalized.Length == 0)
        {
            return DomainError.Invalid.Field(field, $"The {field} must not be empty.");
        }

        if (CharacterCount(normalized) > maxLength)
        {
            return DomainError.Invalid.Field(field, $"The {field} must be at most {maxLength} characters.");
        }

        return normalized;
    }

    /// <summary>
    /// The contract's characters: Unicode code points, as PostgreSQL's varchar(n) counts them and NIST 800-63B counts a
    /// password's; an emoji is one, where string.Length counts two.
    /// </summary>
    public static int CharacterCount(string text) => text.EnumerateRunes().Count();

    /// <summary>
    /// The 400 message for text holding a control character (below U+0020 or U+007F) or a lone surrogate, or
    /// null when it has none. Multi-line text may hold line feeds and tabs; a single line (a title, a name) may not.
    /// </summary>
    public static string? ControlCharacterError(string? text, string field, bool multiLine = false)
    {
        if (text is null)
        {
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c) || c == '\u007f' || (c < ' ' && !(multiLine && c is '\n' or '\t')))
            {
                return multiLine
                    ? $"The {field} must not contain control characters other than line feeds and tabs."
                    : $"The {field} must not contain control characters.";
            }
        }

        return null;
    }
}
