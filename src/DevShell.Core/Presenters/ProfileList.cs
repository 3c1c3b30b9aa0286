using DevShell.Core.Formats;
using DevShell.Core.Profiles;

namespace DevShell.Core.Presenters;

/// <summary>One line of the profiles pane: a service heading or a profile under it.</summary>
/// <param name="ProfileName">The profile on this line, or null for a heading.</param>
/// <param name="Group">The service group the line belongs to.</param>
/// <param name="Text">What the line shows.</param>
public sealed record ProfileListItem(string? ProfileName, string Group, string Text)
{
    /// <summary>True for a service heading.</summary>
    public bool IsHeading => ProfileName is null;
}

/// <summary>Groups and filters profiles for the profiles pane.</summary>
public static class ProfileList
{
    /// <summary>The group of profiles without a service.</summary>
    public const string NoService = "(no service)";

    /// <summary>
    /// True when every word of <paramref name="filter"/> occurs (ignoring case) in the profile's name, service,
    /// description or one of its tags. An empty or blank filter matches everything.
    /// </summary>
    public static bool Matches(Profile profile, string? filter)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(filter))
        {
            return true;
        }

        var words = filter.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return words.All(word =>
            Contains(profile.Name, word)
            || Contains(profile.Service, word)
            || Contains(profile.Description, word)
            || (profile.Tags ?? []).Any(t => Contains(t, word)));
    }

    /// <summary>
    /// The lines for the profiles matching <paramref name="filter"/>: groups ordered by service name
    /// (profiles without one last, under <see cref="NoService"/>), each a heading "billing (2)" followed by its
    /// profiles ordered by name, indented, with "●N" after those that have N running envs.
    /// </summary>
    public static IReadOnlyList<ProfileListItem> Build(
        IEnumerable<Profile> profiles,
        string? filter,
        IReadOnlyDictionary<string, int>? runningCounts = null)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var items = new List<ProfileListItem>();
        var groups = profiles
            .Where(p => Matches(p, filter))
            .GroupBy(GroupOf, StringComparer.Ordinal)
            .OrderBy(g => g.Key == NoService ? 1 : 0)
            .ThenBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var members = group.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            items.Add(new ProfileListItem(null, group.Key, $"{TuiFormat.Clean(group.Key)} ({members.Count})"));
            foreach (var p in members)
            {
                var running = runningCounts is not null && runningCounts.TryGetValue(p.Name, out var n) && n > 0
                    ? (n == 1 ? " ●" : $" ●{n}")
                    : "";
                items.Add(new ProfileListItem(p.Name, group.Key, "  " + TuiFormat.Clean(p.Name) + running));
            }
        }

        return items;
    }

    /// <summary>The service group of a profile: its service, or <see cref="NoService"/>.</summary>
    public static string GroupOf(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return string.IsNullOrWhiteSpace(profile.Service) ? NoService : profile.Service;
    }

    /// <summary>
    /// Where the selection goes after the list changed: the line of <paramref name="profileName"/> if it is still
    /// listed; otherwise the first profile line at or after <paramref name="previousIndex"/> (so deleting a profile
    /// selects its neighbour), else the last profile line before it; -1 for an empty list.
    /// </summary>
    public static int SelectionIndex(IReadOnlyList<ProfileListItem> items, string? profileName, int previousIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (profileName is not null)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].ProfileName == profileName)
                {
                    return i;
                }
            }
        }

        var start = Math.Clamp(previousIndex, 0, Math.Max(0, items.Count - 1));
        for (var i = start; i < items.Count; i++)
        {
            if (!items[i].IsHeading)
            {
                return i;
            }
        }

        for (var i = Math.Min(start, items.Count - 1); i >= 0; i--)
        {
            if (!items[i].IsHeading)
            {
                return i;
            }
        }

        return items.Count > 0 ? 0 : -1;
    }

    /// <summary>
    /// A fingerprint of the profiles (their full documents, store fields included), so the view can skip
    /// rebuilding when a refresh brings exactly the same profiles. Equal fingerprints mean equal profiles.
    /// </summary>
    public static string Fingerprint(IEnumerable<Profile> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        return string.Join("\u0000", profiles.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => ProfileJson.Serialize(p, includeStoreFields: true)));
    }

    private static bool Contains(string? text, string word) =>
        text is not null && text.Contains(word, StringComparison.OrdinalIgnoreCase);
}
