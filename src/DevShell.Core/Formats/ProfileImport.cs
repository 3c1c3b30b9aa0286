using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Formats;

/// <summary>
/// The single entry point for profile documents from users (files, stdin, the TUI editor):
/// parse (<see cref="ProfileJson"/>) and validate (<see cref="ProfileValidator"/>) in one step.
/// </summary>
public static class ProfileImport
{
    /// <summary>
    /// Reads one profile or an array of profiles and validates every one. Names must be unique within the document.
    /// </summary>
    /// <param name="text">The document text.</param>
    /// <param name="sourceName">Where it came from, for messages.</param>
    /// <param name="context">Host facts for validation (home, DB path, bridge subnet).</param>
    /// <returns>The profiles, in document order, all valid.</returns>
    /// <exception cref="DevShellInputException">
    /// Anything wrong with the input: a <see cref="ProfileFormatException"/> for shape problems or a
    /// <see cref="ProfileValidationException"/> listing every rule broken by every profile. No other exception is thrown for bad input.
    /// </exception>
    public static IReadOnlyList<Profile> Parse(string text, string sourceName, ValidationContext? context = null)
    {
        var profiles = ProfileJson.ParseMany(text, sourceName);
        var errors = new List<ValidationError>();
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < profiles.Count; i++)
        {
            var profile = profiles[i];
            errors.AddRange(ProfileValidator.Validate(profile, context));
            if (string.IsNullOrEmpty(profile.Name))
            {
                continue;
            }

            if (firstIndex.TryGetValue(profile.Name, out var first))
            {
                errors.Add(new ValidationError($"[{i}].name", profile.Name, $"is also the name of profile [{first}] (names must be unique)") { Profile = profile.Name });
            }
            else
            {
                firstIndex[profile.Name] = i;
            }
        }

        if (errors.Count > 0)
        {
            throw new ProfileValidationException(errors);
        }

        return profiles;
    }

    /// <summary>Reads a file (rejecting one over 1 MiB before reading it) and parses it as <see cref="Parse"/> does.</summary>
    /// <exception cref="DevShellInputException">The file is missing, unreadable, too large, or its content is bad.</exception>
    public static IReadOnlyList<Profile> ParseFile(string path, ValidationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ProfileFormatException([new FormatError("", "does not exist (check the path)") { Source = path }]);
            }

            if (info.Length > ProfileJson.MaxInputBytes)
            {
                throw new ProfileFormatException([new FormatError("", $"is {info.Length} bytes; a profile document may be at most 1 MiB") { Source = path }]);
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProfileFormatException([new FormatError("", $"cannot be read ({e.Message})") { Source = path }]);
        }

        return Parse(text, path, context);
    }
}
