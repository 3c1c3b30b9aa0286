using DevShell.Core.Networking;

namespace DevShell.Core.Validation;

/// <summary>
/// Facts about the host that some rules need. Every member is optional; a rule whose fact is unknown
/// is checked as far as it can be without it (e.g. masks under "~/" are accepted, absolute masks must be
/// in the system allow-list unless <see cref="HomeDirectory"/> says they are inside home).
/// </summary>
public sealed record ValidationContext
{
    /// <summary>A context that knows nothing about the host.</summary>
    public static ValidationContext Default { get; } = new();

    /// <summary>The home directory "~" stands for (the invoking user's, also under sudo).</summary>
    public string? HomeDirectory { get; init; }

    /// <summary>Absolute path of DevShell's database file; it and its directory may never be bind-mounted.</summary>
    public string? DbPath { get; init; }

    /// <summary>The bridge subnet; when known, static IPs must lie inside it and not be network, gateway or broadcast.</summary>
    public Ipv4Cidr? BridgeSubnet { get; init; }
}
