using System.Globalization;
using System.Text.Json;
using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;

namespace DevShell.Core.Presenters;

/// <summary>The simple fields of the profile form.</summary>
public enum FormField
{
    /// <summary>name.</summary>
    Name,

    /// <summary>service.</summary>
    Service,

    /// <summary>description.</summary>
    Description,

    /// <summary>shell.</summary>
    Shell,

    /// <summary>workdir.</summary>
    Workdir,

    /// <summary>hostname.</summary>
    Hostname,

    /// <summary>network.mode.</summary>
    NetworkMode,

    /// <summary>limits.memory.</summary>
    Memory,

    /// <summary>limits.cpu.</summary>
    Cpu,

    /// <summary>limits.pids.</summary>
    Pids,
}

/// <summary>The texts in the form's fields, exactly as typed.</summary>
public sealed record ProfileFormValues(
    string Name,
    string Service,
    string Description,
    string Shell,
    string Workdir,
    string Hostname,
    string NetworkMode,
    string Memory,
    string Cpu,
    string Pids)
{
    /// <summary>The text of one field.</summary>
    public string this[FormField field] => field switch
    {
        FormField.Name => Name,
        FormField.Service => Service,
        FormField.Description => Description,
        FormField.Shell => Shell,
        FormField.Workdir => Workdir,
        FormField.Hostname => Hostname,
        FormField.NetworkMode => NetworkMode,
        FormField.Memory => Memory,
        FormField.Cpu => Cpu,
        FormField.Pids => Pids,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    /// <summary>A copy with one field changed.</summary>
    public ProfileFormValues With(FormField field, string text) => field switch
    {
        FormField.Name => this with { Name = text },
        FormField.Service => this with { Service = text },
        FormField.Description => this with { Description = text },
        FormField.Shell => this with { Shell = text },
        FormField.Workdir => this with { Workdir = text },
        FormField.Hostname => this with { Hostname = text },
        FormField.NetworkMode => this with { NetworkMode = text },
        FormField.Memory => this with { Memory = text },
        FormField.Cpu => this with { Cpu = text },
        FormField.Pids => this with { Pids = text },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}

/// <summary>
/// The outcome of checking the form: the profile it describes and every problem, those of the simple fields by field
/// (shown next to the field) and the rest (fields only the JSON editor shows) in <see cref="OtherErrors"/>.
/// </summary>
public sealed record FormCheck(Profile Profile, IReadOnlyDictionary<FormField, string> FieldErrors, IReadOnlyList<string> OtherErrors)
{
    /// <summary>True when nothing is wrong and the profile may be saved.</summary>
    public bool IsValid => FieldErrors.Count == 0 && OtherErrors.Count == 0;

    /// <summary>Every problem, field problems first, one per line.</summary>
    public IReadOnlyList<string> AllErrors => FieldErrors.OrderBy(kv => kv.Key).Select(kv => kv.Value).Concat(OtherErrors).ToList();
}

/// <summary>The outcome of checking the JSON editor: the profile when the document could be read, and every problem.</summary>
public sealed record JsonCheck(Profile? Profile, IReadOnlyList<string> Errors)
{
    /// <summary>True when the document was read and the profile is valid.</summary>
    public bool IsValid => Profile is not null && Errors.Count == 0;
}

/// <summary>
/// The profile form without the view: fills fields from a profile, turns edited fields back into a profile and
/// checks it with <see cref="ProfileValidator"/> so nothing invalid is saved; the same for the JSON editor.
/// </summary>
public static class ProfileForm
{
    /// <summary>The choices of the network mode field.</summary>
    public static IReadOnlyList<string> NetworkModes { get; } = ["none", "bridge", "host"];

    /// <summary>The label shown before a field.</summary>
    public static string Label(FormField field) => field switch
    {
        FormField.Name => "Name",
        FormField.Service => "Service",
        FormField.Description => "Description",
        FormField.Shell => "Shell",
        FormField.Workdir => "Workdir",
        FormField.Hostname => "Hostname",
        FormField.NetworkMode => "Network",
        FormField.Memory => "Memory",
        FormField.Cpu => "CPU cores",
        FormField.Pids => "Pids",
        _ => field.ToString(),
    };

    /// <summary>
    /// The letter that jumps to a field with Alt (underlined in its label). S, C, J and E are taken by the
    /// Save, Cancel and JSON/Fields buttons.
    /// </summary>
    public static char AccessKey(FormField field) => field switch
    {
        FormField.Name => 'n',
        FormField.Service => 'r',
        FormField.Description => 'd',
        FormField.Shell => 'h',
        FormField.Workdir => 'w',
        FormField.Hostname => 'o',
        FormField.NetworkMode => 't',
        FormField.Memory => 'm',
        FormField.Cpu => 'u',
        FormField.Pids => 'p',
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    /// <summary>A hint shown in an empty field.</summary>
    public static string Hint(FormField field) => field switch
    {
        FormField.Name => "e.g. orders-api",
        FormField.Service => "e.g. orders (groups profiles)",
        FormField.Workdir => "e.g. ~/src/orders (empty: current dir)",
        FormField.Hostname => "empty: the profile name",
        FormField.Memory => "e.g. 512M, 2G (empty: unlimited)",
        FormField.Cpu => "e.g. 0.5, 2 (empty: unlimited)",
        FormField.Pids => "e.g. 256 (empty: unlimited)",
        _ => "",
    };

    /// <summary>The field texts for <paramref name="profile"/>.</summary>
    public static ProfileFormValues FromProfile(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var limits = profile.Limits ?? new LimitsSpec();
        return new ProfileFormValues(
            profile.Name ?? "",
            profile.Service ?? "",
            profile.Description ?? "",
            profile.Shell ?? "",
            profile.Workdir ?? "",
            profile.Hostname ?? "",
            profile.Network?.Mode ?? "none",
            limits.Memory ?? "",
            limits.Cpu is { } cpu ? cpu.ToString("R", CultureInfo.InvariantCulture) : "",
            limits.Pids is { } pids ? pids.ToString(CultureInfo.InvariantCulture) : "");
    }

    /// <summary>
    /// Builds the profile the form describes and checks it. Everything not on the form is kept from
    /// <paramref name="original"/> (which is not modified). Empty optional fields mean "not set". When the network
    /// mode is changed, the net namespace follows it (host shares the host's network, so it drops "net"; none and
    /// bridge need "net").
    /// </summary>
    /// <remarks>When <paramref name="fixedName"/> is given (editing), a different name is reported: renaming is not an edit.</remarks>
    public static FormCheck Check(Profile original, ProfileFormValues values, ValidationContext? context = null, string? fixedName = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(values);
        var fieldErrors = new Dictionary<FormField, string>();
        var profile = Copy(original);
        profile.Name = values.Name.Trim();
        profile.Service = Optional(values.Service);
        profile.Description = values.Description.Length == 0 ? null : values.Description;
        profile.Shell = values.Shell.Trim();
        profile.Workdir = Optional(values.Workdir);
        profile.Hostname = Optional(values.Hostname);
        profile.Network ??= new NetworkSpec();
        var mode = values.NetworkMode.Trim();
        if (mode != (original.Network?.Mode ?? "none"))
        {
            FollowNetworkMode(profile, mode);
        }

        profile.Network.Mode = mode;
        profile.Limits ??= new LimitsSpec();
        profile.Limits.Memory = Optional(values.Memory);
        if (TryParseCpu(values.Cpu, out var cpu))
        {
            profile.Limits.Cpu = cpu;
        }
        else
        {
            fieldErrors[FormField.Cpu] = $"limits.cpu {Display.Quote(values.Cpu.Trim())} is not a number of cores (use e.g. 0.5 or 2)";
        }

        if (TryParsePids(values.Pids, out var pids))
        {
            profile.Limits.Pids = pids;
        }
        else
        {
            fieldErrors[FormField.Pids] = $"limits.pids {Display.Quote(values.Pids.Trim())} is not a whole number (use e.g. 256)";
        }

        var other = new List<string>();
        foreach (var error in ProfileValidator.Validate(profile, context))
        {
            AddError(error, fieldErrors, other);
        }

        if (fixedName is not null && profile.Name != fixedName && !fieldErrors.ContainsKey(FormField.Name))
        {
            fieldErrors[FormField.Name] = RenameMessage(fixedName);
        }

        return new FormCheck(profile, fieldErrors, other);
    }

    /// <summary>
    /// Sorts errors reported by the backend (e.g. a <see cref="DevShellInputException"/> from saving) into
    /// field errors and the rest, the same way <see cref="Check"/> does.
    /// </summary>
    public static FormCheck WithErrors(Profile profile, IEnumerable<ValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var fieldErrors = new Dictionary<FormField, string>();
        var other = new List<string>();
        foreach (var error in errors)
        {
            AddError(error, fieldErrors, other);
        }

        return new FormCheck(profile, fieldErrors, other);
    }

    /// <summary>The form field a validation error belongs to ("limits.memory" → Memory), or null when it has none.</summary>
    public static FormField? FieldOf(string errorField) => errorField switch
    {
        "name" => FormField.Name,
        "service" => FormField.Service,
        "description" => FormField.Description,
        "shell" => FormField.Shell,
        "workdir" => FormField.Workdir,
        "hostname" => FormField.Hostname,
        "network.mode" => FormField.NetworkMode,
        "limits.memory" => FormField.Memory,
        "limits.cpu" => FormField.Cpu,
        "limits.pids" => FormField.Pids,
        _ => null,
    };

    /// <summary>The document the JSON editor starts with (store fields left out).</summary>
    public static string ToJson(Profile profile) => ProfileJson.Serialize(profile);

    /// <summary>
    /// Reads and checks the JSON editor's text. Store fields (created, updated, revision) are taken from
    /// <paramref name="original"/>, so saving an edit keeps the store's concurrency check.
    /// </summary>
    /// <remarks>When <paramref name="fixedName"/> is given (editing), a different name is reported: renaming is not an edit.</remarks>
    public static JsonCheck CheckJson(Profile original, string json, ValidationContext? context = null, string? fixedName = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        Profile profile;
        try
        {
            profile = ProfileJson.Parse(json ?? "", "editor");
        }
        catch (DevShellInputException e)
        {
            return new JsonCheck(null, e.Errors.Select(x => x.Describe()).ToList());
        }

        profile.Created = original.Created;
        profile.Updated = original.Updated;
        profile.Revision = original.Revision;
        var errors = ProfileValidator.Validate(profile, context).Select(e => e.Body).ToList();
        if (fixedName is not null && profile.Name != fixedName)
        {
            errors.Insert(0, RenameMessage(fixedName));
        }

        return new JsonCheck(profile, errors);
    }

    /// <summary>A deep copy of <paramref name="profile"/>, store fields included.</summary>
    public static Profile Copy(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var json = JsonSerializer.Serialize(profile, ProfileJson.TypeInfo);
        return JsonSerializer.Deserialize(json, ProfileJson.TypeInfo)!;
    }

    /// <summary>A new profile with defaults and a free name ("new-profile", "new-profile-2", …).</summary>
    public static Profile NewProfile(IEnumerable<string> existingNames) =>
        new() { Name = UniqueName("new-profile", existingNames), Schema = ProfileJson.SchemaReference };

    /// <summary>
    /// A copy of <paramref name="profile"/> under a free name ("orders-api-copy", "orders-api-copy-2", …)
    /// with the hostname and static IP cleared (they must differ between envs) and store fields reset.
    /// </summary>
    public static Profile CloneOf(Profile profile, IEnumerable<string> existingNames)
    {
        var copy = Copy(profile);
        var stem = profile.Name.Length > 43 ? profile.Name[..43].TrimEnd('-') : profile.Name;
        copy.Name = UniqueName(stem + "-copy", existingNames);
        copy.Hostname = null;
        if (copy.Network is not null)
        {
            copy.Network.Ip = null;
        }

        copy.Created = default;
        copy.Updated = default;
        copy.Revision = 0;
        return copy;
    }

    /// <summary><paramref name="stem"/> if it is free, else stem-2, stem-3, … (kept within the 48-character name limit).</summary>
    public static string UniqueName(string stem, IEnumerable<string> existingNames)
    {
        ArgumentNullException.ThrowIfNull(stem);
        var taken = new HashSet<string>(existingNames ?? [], StringComparer.Ordinal);
        if (!taken.Contains(stem))
        {
            return stem;
        }

        for (var n = 2; ; n++)
        {
            var suffix = "-" + n.ToString(CultureInfo.InvariantCulture);
            var candidate = (stem.Length + suffix.Length > 48 ? stem[..(48 - suffix.Length)] : stem) + suffix;
            if (!taken.Contains(candidate))
            {
                return candidate;
            }
        }
    }

    private static string RenameMessage(string fixedName) =>
        $"name cannot change while editing {Display.Quote(fixedName)} (clone the profile to make one under a new name)";

    private static void AddError(ValidationError error, Dictionary<FormField, string> fieldErrors, List<string> other)
    {
        if (FieldOf(error.Field) is { } field)
        {
            if (!fieldErrors.ContainsKey(field))
            {
                fieldErrors[field] = error.Body;
            }
        }
        else
        {
            other.Add(error.Body.Length == 0 ? error.Describe() : error.Body);
        }
    }

    private static void FollowNetworkMode(Profile profile, string mode)
    {
        profile.Namespaces ??= [];
        if (mode == "host")
        {
            profile.Namespaces.RemoveAll(n => n == "net");
        }
        else if (mode is "none" or "bridge" && !profile.Namespaces.Contains("net"))
        {
            profile.Namespaces.Add("net");
        }

        if (mode != "bridge" && profile.Network is not null)
        {
            profile.Network.Ip = null;
            profile.Network.Ports = [];
        }
    }

    private static string? Optional(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static bool TryParseCpu(string text, out double? cpu)
    {
        cpu = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            cpu = value;
            return true;
        }

        return false;
    }

    private static bool TryParsePids(string text, out int? pids)
    {
        pids = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            pids = value;
            return true;
        }

        return false;
    }
}
