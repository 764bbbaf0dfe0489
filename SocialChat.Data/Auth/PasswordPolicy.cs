using System.Reflection;
using System.Text;
using SocialChat.Data.Common;

namespace SocialChat.Data.Auth;

/// <summary>NIST 800-63B as the contract words it: 8–128 characters, no composition rules, none of the 1,000 most common.</summary>
public static class PasswordPolicy
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly Lazy<HashSet<string>> CommonPasswords = new(LoadCommonPasswords);

    /// <summary>
    /// The password as it is checked, hashed and verified: NFKC, the normalisation NIST 800-63B asks for, so that one
    /// typed composed on one device and decomposed on another ("é", or "e" and a combining accent) is one password. Text
    /// that is not valid Unicode (a lone surrogate) cannot be normalised and is taken as it is.
    /// </summary>
    public static string Normalize(string password)
    {
        try
        {
            return password.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            return password;
        }
    }

    public static string? Check(string? password)
    {
        var length = password is null ? 0 : TextInput.CharacterCount(password);
        if (password is null || length < MinLength)
        {
            return $"The password must be at least {MinLength} characters.";
        }

        if (length > MaxLength)
        {
            return $"The password must be at most {MaxLength} characters.";
        }

        return CommonPasswords.Value.Contains(password.ToLowerInvariant())
            ? "This password is one of the most common ones; choose another."
            : null;
    }

    private static HashSet<string> LoadCommonPasswords()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("SocialChat.Data.Auth.common-passwords.txt")
            ?? throw new InvalidOperationException("The common-passwords list is not embedded.");
        using var reader = new StreamReader(stream);
        var passwords = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                passwords.Add(line.Trim().ToLowerInvariant());
            }
        }

        return passwords;
    }
}
