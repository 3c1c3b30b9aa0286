using System.Globalization;
using System.Text;
using DevShell.Core.Profiles;

namespace DevShell.Core.Presenters;

/// <summary>One labelled fact of the details pane, e.g. ("Limits", "memory 768M · cpu 0.75 · pids 256").</summary>
public sealed record DetailLine(string Label, string Value);

/// <summary>Describes the selected profile for the details pane: limits, network, mounts, masks, hooks and the rest.</summary>
public static class ProfileDetails
{
    private const int LabelWidth = 11;
    private const string Dot = " · ";

    /// <summary>The facts of <paramref name="profile"/>, in display order; every value is cleaned for the terminal.</summary>
    public static IReadOnlyList<DetailLine> Lines(Profile profile, int runningEnvs = 0)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var lines = new List<DetailLine>
        {
            new("Profile", profile.Name + (string.IsNullOrEmpty(profile.Service) ? "" : $"  (service {profile.Service})")
                + (runningEnvs > 0 ? $"  ● {runningEnvs} running" : "")),
        };
        // What a developer checks first (limits, network) comes first: at 80x24 the pane shows about eight lines.
        lines.Add(new("Limits", Limits(profile.Limits)));
        lines.Add(new("Network", Network(profile.Network)));
        if (!string.IsNullOrWhiteSpace(profile.Description))
        {
            lines.Add(new("About", profile.Description));
        }

        lines.Add(new("Mounts", profile.Mounts is { Count: > 0 } ? string.Join(", ", profile.Mounts.Select(Mount)) : "none"));
        lines.Add(new("Masks", profile.Masks is { Count: > 0 } ? string.Join(", ", profile.Masks) : "none"));
        lines.Add(new("Hooks", Hooks(profile.Hooks)));
        lines.Add(new("Shell", profile.Shell + (profile.Command is { Count: > 0 } ? $"{Dot}command {string.Join(' ', profile.Command)}" : "")));
        lines.Add(new("Workdir", profile.Workdir ?? "(current directory)"));
        lines.Add(new("Hostname", profile.Hostname ?? profile.Name));
        if (profile.Tags is { Count: > 0 })
        {
            lines.Add(new("Tags", string.Join(", ", profile.Tags)));
        }

        lines.Add(new("Namespaces", profile.Namespaces is { Count: > 0 } ? string.Join(' ', profile.Namespaces) : "none"));
        var fs = profile.Filesystem;
        if (fs is not null)
        {
            lines.Add(new("Filesystem", fs.Mode + (fs.Rootfs is null ? "" : $" {fs.Rootfs}") + $"{Dot}home {fs.Home}"));
        }

        if (profile.Security is { } sec)
        {
            lines.Add(new("Security", $"seccomp {(sec.Seccomp ? "on" : "OFF")}{Dot}caps {(sec.Caps is { Count: > 0 } ? string.Join(' ', sec.Caps) : "none")}"));
        }

        if (profile.Env is { Count: > 0 })
        {
            lines.Add(new("Env", string.Join(" ", profile.Env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"))));
        }

        return lines.Select(l => l with { Value = TuiFormat.Clean(l.Value) }).ToList();
    }

    /// <summary>
    /// The facts as text <paramref name="width"/> columns wide: labels in a column of their own, values
    /// word-wrapped with continuation lines indented under the value.
    /// </summary>
    public static string Render(Profile profile, int width, int runningEnvs = 0)
    {
        var text = new StringBuilder();
        var valueWidth = Math.Max(10, width - LabelWidth - 1);
        foreach (var line in Lines(profile, runningEnvs))
        {
            var wrapped = Wrap(line.Value, valueWidth);
            for (var i = 0; i < wrapped.Count; i++)
            {
                text.Append((i == 0 ? line.Label : "").PadRight(LabelWidth)).Append(' ').Append(wrapped[i]).Append('\n');
            }
        }

        return text.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// The details pane for a service heading: the service, how many profiles and running envs it has, and one line per
    /// profile with its description, wrapped to <paramref name="width"/>.
    /// </summary>
    public static string GroupSummary(string group, IEnumerable<Profile> profiles, IReadOnlyDictionary<string, int>? runningCounts, int width)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(profiles);
        var members = profiles.Where(p => ProfileList.GroupOf(p) == group).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var running = members.Sum(p => runningCounts?.GetValueOrDefault(p.Name) ?? 0);
        var lines = new List<string>();
        lines.AddRange(Wrap(
            $"{(group == ProfileList.NoService ? "Profiles without a service" : "Service " + TuiFormat.Clean(group))}: "
            + $"{members.Count} profile{(members.Count == 1 ? "" : "s")}, {running} running env{(running == 1 ? "" : "s")}.", width));
        lines.Add("");
        foreach (var p in members)
        {
            var text = TuiFormat.Clean(p.Name) + (string.IsNullOrWhiteSpace(p.Description) ? "" : " — " + TuiFormat.Clean(p.Description));
            var wrapped = Wrap(text, Math.Max(10, width - 2));
            lines.AddRange(wrapped.Select((l, i) => (i == 0 ? "• " : "  ") + l));
        }

        lines.Add("");
        lines.AddRange(Wrap("Select a profile to see its settings; Enter opens its shell.", width));
        return string.Join('\n', lines);
    }

    /// <summary>The details pane when nothing is selected.</summary>
    public static string Empty(int width) =>
        string.Join('\n', Wrap("No profile selected. Press n for a new profile, i to import the presets, ? for help.", width));

    /// <summary>"memory 768M · cpu 0.75 cores · pids 256", with "unlimited" for missing limits.</summary>
    public static string Limits(LimitsSpec? limits)
    {
        if (limits is null)
        {
            return "none";
        }

        var parts = new List<string>
        {
            "memory " + (limits.Memory ?? "unlimited"),
            "cpu " + (limits.Cpu is { } cpu ? TuiFormat.Cores(cpu) + (cpu == 1 ? " core" : " cores") : "unlimited"),
            "pids " + (limits.Pids?.ToString(CultureInfo.InvariantCulture) ?? "unlimited"),
        };
        if (limits.Swap is not null)
        {
            parts.Add("swap " + limits.Swap);
        }

        if (limits.IoWeight is { } io)
        {
            parts.Add("io weight " + io.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(Dot, parts);
    }

    /// <summary>"bridge · ip 10.88.0.5 · egress allow 10.0.0.0/8, 0.0.0.0/0:443 · peers shared · ports 8080:80".</summary>
    public static string Network(NetworkSpec? network)
    {
        if (network is null)
        {
            return "none";
        }

        var parts = new List<string> { network.Mode };
        if (network.Mode == "bridge")
        {
            parts.Add("ip " + (network.Ip ?? "auto"));
        }

        if (network.Egress is { } egress)
        {
            parts.Add("egress " + egress.Policy + (egress.Policy == "allow" && egress.Allow is { Count: > 0 } ? " " + string.Join(", ", egress.Allow) : ""));
            if (network.Mode == "bridge")
            {
                parts.Add("peers " + egress.Peers);
            }
        }

        if (network.Ports is { Count: > 0 })
        {
            parts.Add("ports " + string.Join(", ", network.Ports));
        }

        return string.Join(Dot, parts);
    }

    /// <summary>"~/src → /src (ro)", "tmpfs → /tmp/x 64M".</summary>
    public static string Mount(MountSpec mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        var source = mount.Type == "tmpfs" ? "tmpfs" : mount.Source ?? "?";
        return $"{source} → {mount.Target}{(mount.Size is null ? "" : " " + mount.Size)}{(mount.ReadOnly ? " (ro)" : "")}";
    }

    /// <summary>"on_enter: first line … · on_exit: none".</summary>
    public static string Hooks(HooksSpec? hooks)
    {
        static string Snippet(string? s) =>
            string.IsNullOrWhiteSpace(s) ? "none" : TuiFormat.Truncate(s.Trim().Split('\n')[0].Trim(), 40) + (s.Trim().Contains('\n', StringComparison.Ordinal) ? " …" : "");
        return $"on_enter: {Snippet(hooks?.OnEnter)}{Dot}on_exit: {Snippet(hooks?.OnExit)}";
    }

    /// <summary>Greedy word wrap to <paramref name="width"/>; words longer than the width are split.</summary>
    public static IReadOnlyList<string> Wrap(string text, int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        width = Math.Max(1, width);
        var lines = new List<string>();
        var current = new StringBuilder();
        foreach (var rawWord in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var word = rawWord;
            while (word.Length > width)
            {
                if (current.Length > 0)
                {
                    lines.Add(current.ToString());
                    current.Clear();
                }

                lines.Add(word[..width]);
                word = word[width..];
            }

            if (current.Length > 0 && current.Length + 1 + word.Length > width)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            if (current.Length > 0)
            {
                current.Append(' ');
            }

            current.Append(word);
        }

        if (current.Length > 0 || lines.Count == 0)
        {
            lines.Add(current.ToString());
        }

        return lines;
    }
}
