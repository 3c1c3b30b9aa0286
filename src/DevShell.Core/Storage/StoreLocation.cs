using DevShell.Core.Networking;
using DevShell.Core.Validation;

namespace DevShell.Core.Storage;

/// <summary>
/// Where DevShell keeps its data for the invoking user, and who should own it. Core makes no syscalls, so under sudo
/// the caller chowns what it creates to <see cref="OwnerUid"/>/<see cref="OwnerGid"/>.
/// </summary>
/// <param name="DbPath">Absolute path of the LiteDB file.</param>
/// <param name="DataDirectory">Directory holding the DB, its backup and private homes.</param>
/// <param name="HomeDirectory">The invoking user's home ("~" in profiles), the SUDO_USER's under sudo.</param>
/// <param name="OwnerUid">Under sudo: the invoking user's uid (chown files to it); otherwise null.</param>
/// <param name="OwnerGid">Under sudo: the invoking user's gid; otherwise null.</param>
public sealed record StoreLocation(string DbPath, string DataDirectory, string HomeDirectory, int? OwnerUid, int? OwnerGid)
{
    /// <summary>Parent of the per-profile private homes.</summary>
    public string HomesDirectory => Path.Combine(DataDirectory, "homes");

    /// <summary>The private home of a profile with filesystem.home private: &lt;data&gt;/homes/&lt;profile&gt;.</summary>
    public string PrivateHome(string profileName)
    {
        if (!ProfileValidator.IsValidName(profileName))
        {
            throw new ArgumentException($"\"{profileName}\" is not a profile name", nameof(profileName));
        }

        return Path.Combine(HomesDirectory, profileName);
    }

    /// <summary>The validation context matching this location.</summary>
    public ValidationContext ToValidationContext(Ipv4Cidr? bridgeSubnet = null) =>
        new() { HomeDirectory = HomeDirectory, DbPath = DbPath, BridgeSubnet = bridgeSubnet };
}
