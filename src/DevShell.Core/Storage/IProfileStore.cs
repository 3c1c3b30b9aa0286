using DevShell.Core.Profiles;

namespace DevShell.Core.Storage;

/// <summary>
/// The profile operations of <see cref="DevShellStore"/>, as a seam for views and commands that only edit profiles.
/// Implementations validate before writing and keep Created/Updated/Revision.
/// </summary>
public interface IProfileStore
{
    /// <inheritdoc cref="DevShellStore.Add"/>
    Profile Add(Profile profile);

    /// <inheritdoc cref="DevShellStore.Get"/>
#pragma warning disable CA1716 // "Get" is a VB keyword; DevShell is C#-only and the name matches the store's API.
    Profile? Get(string name);
#pragma warning restore CA1716

    /// <inheritdoc cref="DevShellStore.Require"/>
    Profile Require(string name);

    /// <inheritdoc cref="DevShellStore.List"/>
    IReadOnlyList<Profile> List();

    /// <inheritdoc cref="DevShellStore.Update"/>
    Profile Update(Profile profile, int expectedRevision);

    /// <inheritdoc cref="DevShellStore.Delete"/>
    bool Delete(string name, int? expectedRevision = null);

    /// <inheritdoc cref="DevShellStore.Rename"/>
    Profile Rename(string name, string newName, int? expectedRevision = null);

    /// <inheritdoc cref="DevShellStore.Clone"/>
    Profile Clone(string name, string newName);
}
