using System.Text;
using System.Text.RegularExpressions;
using DevShell.Core.Profiles;

namespace DevShell.Core.Validation;

/// <summary>
/// Decides whether a <see cref="Profile"/> may be stored or launched. Every field is checked and every problem
/// is reported (not just the first), each as a <see cref="ValidationError"/> naming the field, the value and the fix.
/// The rules, by field:
/// <list type="bullet">
/// <item><b>name</b>: 1-48 of [a-z0-9-], starts with a letter, does not end with '-' (it doubles as the default hostname).</item>
/// <item><b>hostname</b>: optional; RFC 1123 labels of 1-63 letters/digits/'-' separated by '.', at most 64 characters (HOST_NAME_MAX).</item>
/// <item><b>service</b>: optional; 1-64 of [a-z0-9._-] starting with a letter or digit. <b>description</b>: at most 1 KiB, no control characters except newline and tab.</item>
/// <item><b>tags</b>: at most 32 distinct slugs of 1-32 [a-z0-9-] starting with a letter or digit.</item>
/// <item><b>shell</b>: absolute path. <b>command</b>: optional; 1-1024 non-empty arguments of at most 64 KiB, no NUL.
/// <b>workdir</b>: optional; absolute or "~"/"~/..." path.</item>
/// <item><b>env</b>: at most 256 variables; names [A-Za-z_][A-Za-z0-9_]* (at most 255 chars); values at most 64 KiB, no NUL.</item>
/// <item><b>namespaces</b>: distinct members of uts, ipc, mount, pid, net, user, cgroup; mount and pid are required;
/// network.mode bridge and none need net, host forbids it.</item>
/// <item><b>network</b>: mode none|bridge|host; ip is a strict dotted-quad IPv4, only with bridge, inside the bridge subnet
/// and not its network/gateway/broadcast address when the context knows the subnet; egress.policy all|none|allow
/// (none/allow cannot be enforced with mode host, allow needs bridge); egress.allow entries (at most 256, distinct) only with
/// policy allow; egress.peers shared|isolated; ports "HOST:ENV[/tcp|/udp]" (at most 64) only with bridge, no host port
/// published twice for the same protocol.</item>
/// <item><b>limits</b>: memory and swap are sizes (see <see cref="Units.Size"/>), memory at least 4M, swap only with memory;
/// cpu 0.01..1024 cores; pids 1..4194304; io_weight 1..10000.</item>
/// <item><b>filesystem</b>: mode host|readonly|rootfs; rootfs is required exactly when mode is rootfs and is an absolute
/// path other than "/"; home host|private.</item>
/// <item><b>mounts</b>: at most 64; type bind|tmpfs; bind needs a source, tmpfs takes none; size only for tmpfs, a non-zero size;
/// source and target absolute or "~/", no "..", never "/", "/proc", "/sys", "/dev" or anything under /proc;
/// a source is never the DevShell database or its directory; no two mounts share a target.</item>
/// <item><b>masks</b>: at most 64 distinct paths, inside the home directory or under one of <see cref="SystemSecrets"/>.</item>
/// <item><b>security.caps</b>: distinct names from <see cref="Capabilities.Known"/>. <b>hooks</b>: at most 64 KiB each, no NUL.</item>
/// </list>
/// Null lists and objects (possible from JSON "null") are reported rather than crashing.
/// Store-maintained fields (created, updated, revision) are not checked.
/// </summary>
public static partial class ProfileValidator
{
    /// <summary>Largest env value, hook, or command argument, in UTF-8 bytes.</summary>
    public const int MaxTextBytes = 64 * 1024;

    /// <summary>Largest description, in UTF-8 bytes.</summary>
    public const int MaxDescriptionBytes = 1024;

    /// <summary>System paths that may be masked although they are outside home.</summary>
    public static IReadOnlyList<string> SystemSecrets { get; } =
        ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d", "/etc/ssh", "/root"];

    internal const string NameRule = "use 1-48 lowercase letters, digits and '-', starting with a letter and not ending with '-', e.g. orders-api";

    /// <summary>Returns every problem with <paramref name="profile"/>; empty when it is valid.</summary>
    public static IReadOnlyList<ValidationError> Validate(Profile profile, ValidationContext? context = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        context ??= ValidationContext.Default;
        var findings = new Findings(profile.Name ?? "");
        CheckIdentity(profile, findings);
        CheckProcess(profile, findings);
        CheckNamespacesAndNetwork(profile, context, findings);
        CheckLimits(profile.Limits, findings);
        CheckFilesystem(profile, context, findings);
        CheckSecurity(profile, findings);
        return findings.Errors;
    }

    /// <summary>Throws <see cref="ProfileValidationException"/> listing every problem, if there are any.</summary>
    public static void ThrowIfInvalid(Profile profile, ValidationContext? context = null)
    {
        var errors = Validate(profile, context);
        if (errors.Count > 0)
        {
            throw new ProfileValidationException(errors);
        }
    }

    /// <summary>True if <paramref name="name"/> is a valid profile name.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && !name.EndsWith('-');

    private static void CheckIdentity(Profile profile, Findings findings)
    {
        if (string.IsNullOrEmpty(profile.Name))
        {
            findings.Add("name", null, $"is required ({NameRule})");
        }
        else if (!IsValidName(profile.Name))
        {
            findings.Add("name", profile.Name, $"is not a valid name ({NameRule})");
        }

        if (profile.Hostname is not null && !IsValidHostname(profile.Hostname))
        {
            findings.Add("hostname", profile.Hostname,
                "is not a valid hostname (use letters, digits and '-' in dot-separated labels of 1-63 characters, not starting or ending with '-', at most 64 characters in all)");
        }

        if (profile.Service is not null && !ServicePattern().IsMatch(profile.Service))
        {
            findings.Add("service", profile.Service, "is not a valid service name (use 1-64 lowercase letters, digits, '.', '_' and '-', e.g. orders)");
        }

        if (profile.Description is not null)
        {
            var bytes = Encoding.UTF8.GetByteCount(profile.Description);
            if (bytes > MaxDescriptionBytes)
            {
                findings.Add("description", profile.Description, $"is {bytes} bytes; at most {MaxDescriptionBytes} are allowed");
            }
            else if (profile.Description.Any(c => c is not ('\n' or '\t') && Display.NeedsEscape(c)))
            {
                findings.Add("description", profile.Description, "contains control or invisible characters (only newlines and tabs are allowed)");
            }
        }

        if (profile.Schema is not null && (profile.Schema.Length > 1024 || profile.Schema.Any(Display.NeedsEscape)))
        {
            findings.Add("$schema", profile.Schema, "is not a schema reference (use \"./devshell-profile.schema.json\" or remove it)");
        }

        if (findings.Present("tags", profile.Tags, "[] for no tags") && findings.CountAtMost("tags", profile.Tags.Count, 32, "tags"))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < profile.Tags.Count; i++)
            {
                var tag = profile.Tags[i];
                if (tag is null || !TagPattern().IsMatch(tag))
                {
                    findings.Add($"tags[{i}]", tag, "is not a valid tag (use 1-32 lowercase letters, digits and '-', e.g. node)");
                }
                else if (!seen.Add(tag))
                {
                    findings.Add($"tags[{i}]", tag, "is listed twice");
                }
            }
        }
    }

    private static bool IsValidHostname(string hostname) =>
        hostname.Length is >= 1 and <= 64 && hostname.Split('.').All(label => HostLabelPattern().IsMatch(label));

    /// <summary>Reports a text value over <see cref="MaxTextBytes"/> or containing NUL; true when fine.</summary>
    private static bool CheckText(string field, string value, Findings findings)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxTextBytes)
        {
            findings.Add(field, value, $"is {bytes} bytes; at most {MaxTextBytes} are allowed");
            return false;
        }

        if (value.Contains('\0', StringComparison.Ordinal))
        {
            findings.Add(field, value, "contains a NUL character");
            return false;
        }

        return true;
    }

    /// <summary>Reports duplicates: true if <paramref name="value"/> is new.</summary>
    private static bool Distinct(string field, string value, HashSet<string> seen, Findings findings)
    {
        if (seen.Add(value))
        {
            return true;
        }

        findings.Add(field, value, "is listed twice");
        return false;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9-]{0,47}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ServicePattern();

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostLabelPattern();
}
