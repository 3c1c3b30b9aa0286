using DevShell.Core.Formats;
using DevShell.Core.Profiles;
using DevShell.Core.Validation;
using LiteDB;

namespace DevShell.Core.Storage;

public sealed partial class DevShellStore
{
    private const string SeededKey = "seeded";

    /// <summary>Copies of stored profiles that a launch reads without opening the database (see <see cref="ProfileSnapshots"/>).</summary>
    public ProfileSnapshots Snapshots { get; }

    /// <summary>Adds a new profile (validated). Created/Updated are set to now and Revision to 1.</summary>
    /// <returns>The stored profile.</returns>
    /// <exception cref="ProfileValidationException">The profile breaks a rule; nothing is written.</exception>
    /// <exception cref="ProfileAlreadyExistsException">The name is taken.</exception>
    public Profile Add(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ProfileValidator.ThrowIfInvalid(profile, _validation);
        return InTransaction(() =>
        {
            var profiles = Db.GetCollection(ProfilesCollection);
            if (profiles.FindById(profile.Name) is not null)
            {
                throw new ProfileAlreadyExistsException(profile.Name);
            }

            var now = Now();
            var document = ToDocument(profile, revision: 1, created: now, updated: now);
            Snapshots.Forget(profile.Name);
            profiles.Insert(document);
            return FromDocument(document);
        });
    }

    /// <summary>The profile named <paramref name="name"/>, or null.</summary>
    public Profile? Get(string name)
    {
        return Locked(() =>
        {
            if (Db.GetCollection(ProfilesCollection).FindById(name) is not { } document) return null;
            var profile = FromDocument(document);
            Snapshots.Keep(profile);
            return profile;
        });
    }

    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="ProfileNotFoundException">It does not exist.</exception>
    public Profile Require(string name) => Get(name) ?? throw new ProfileNotFoundException(name);

    /// <summary>Every profile, sorted by name.</summary>
    public IReadOnlyList<Profile> List()
    {
        return Locked(() => Db.GetCollection(ProfilesCollection).FindAll().Select(FromDocument).OrderBy(p => p.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Replaces a profile if its stored revision is still <paramref name="expectedRevision"/> (the one the caller read).
    /// The check and the write happen in one transaction, so it holds across processes.
    /// </summary>
    /// <returns>The stored profile with the next revision.</returns>
    /// <exception cref="ProfileValidationException">The profile breaks a rule; nothing is written.</exception>
    /// <exception cref="ProfileNotFoundException">It was deleted meanwhile.</exception>
    /// <exception cref="ConcurrencyConflictException">Someone else wrote it since.</exception>
    public Profile Update(Profile profile, int expectedRevision)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ProfileValidator.ThrowIfInvalid(profile, _validation);
        return InTransaction(() =>
        {
            var profiles = Db.GetCollection(ProfilesCollection);
            var stored = profiles.FindById(profile.Name) ?? throw new ProfileNotFoundException(profile.Name);
            var revision = stored["rev"].AsInt32;
            if (revision != expectedRevision)
            {
                throw new ConcurrencyConflictException(profile.Name, revision, expectedRevision);
            }

            var document = ToDocument(profile, revision + 1, new DateTime(stored["created"].AsInt64, DateTimeKind.Utc), Now());
            Snapshots.Forget(profile.Name);
            profiles.Update(document);
            return FromDocument(document);
        });
    }

    /// <summary>Deletes a profile, optionally only if it is still at <paramref name="expectedRevision"/>.</summary>
    /// <returns>False if there was no such profile.</returns>
    /// <exception cref="ConcurrencyConflictException">Someone else wrote it since.</exception>
    public bool Delete(string name, int? expectedRevision = null) =>
        InTransaction(() =>
        {
            var profiles = Db.GetCollection(ProfilesCollection);
            if (profiles.FindById(name) is not { } stored)
            {
                return false;
            }

            if (expectedRevision is { } expected && stored["rev"].AsInt32 != expected)
            {
                throw new ConcurrencyConflictException(name, stored["rev"].AsInt32, expected);
            }

            Snapshots.Forget(name);
            return profiles.Delete(name);
        });

    /// <summary>Renames a profile (keeping its created time; the revision advances). A hostname left to default follows the name.</summary>
    /// <exception cref="ProfileNotFoundException">The source does not exist.</exception>
    /// <exception cref="ProfileAlreadyExistsException">The new name is taken.</exception>
    /// <exception cref="ProfileValidationException">The new name is not valid.</exception>
    /// <exception cref="ConcurrencyConflictException">The source changed since <paramref name="expectedRevision"/>.</exception>
    public Profile Rename(string name, string newName, int? expectedRevision = null) =>
        InTransaction(() =>
        {
            var profiles = Db.GetCollection(ProfilesCollection);
            var stored = profiles.FindById(name) ?? throw new ProfileNotFoundException(name);
            var revision = stored["rev"].AsInt32;
            if (expectedRevision is { } expected && revision != expected)
            {
                throw new ConcurrencyConflictException(name, revision, expected);
            }

            var profile = FromDocument(stored);
            profile.Name = newName;
            ProfileValidator.ThrowIfInvalid(profile, _validation);
            if (profiles.FindById(newName) is not null)
            {
                throw new ProfileAlreadyExistsException(newName);
            }

            var document = ToDocument(profile, revision + 1, profile.Created, Now());
            Snapshots.Forget(name);
            Snapshots.Forget(newName);
            profiles.Delete(name);
            profiles.Insert(document);
            return FromDocument(document);
        });

    /// <summary>Copies a profile under a new name, as a new profile (revision 1, created now).</summary>
    /// <exception cref="ProfileNotFoundException">The source does not exist.</exception>
    /// <exception cref="ProfileAlreadyExistsException">The new name is taken.</exception>
    /// <exception cref="ProfileValidationException">The new name is not valid.</exception>
    public Profile Clone(string name, string newName)
    {
        var copy = Require(name);
        copy.Name = newName;
        if (copy.Hostname == name)
        {
            copy.Hostname = null;
        }

        return Add(copy);
    }

    /// <summary>
    /// Adds <paramref name="presets"/> if the database has never been seeded and holds no profiles, then records that it
    /// was seeded, so deleting every profile later does not bring the presets back. Atomic across processes.
    /// </summary>
    /// <returns>How many profiles were added.</returns>
    /// <exception cref="ProfileValidationException">A preset is invalid; nothing is written.</exception>
    public int SeedIfEmpty(IEnumerable<Profile> presets)
    {
        ArgumentNullException.ThrowIfNull(presets);
        var list = presets.ToList();
        foreach (var preset in list)
        {
            ProfileValidator.ThrowIfInvalid(preset, _validation);
        }

        return InTransaction(() =>
        {
            var meta = Db.GetCollection(MetaCollection);
            if (meta.FindById(SeededKey) is not null)
            {
                return 0;
            }

            var profiles = Db.GetCollection(ProfilesCollection);
            var added = 0;
            if (profiles.Count() == 0)
            {
                var now = Now();
                foreach (var preset in list.DistinctBy(p => p.Name))
                {
                    Snapshots.Forget(preset.Name);
                    profiles.Insert(ToDocument(preset, 1, now, now));
                    added++;
                }
            }

            meta.Insert(new BsonDocument { ["_id"] = SeededKey, ["value"] = Now().ToString("O") });
            return added;
        });
    }

    private static BsonDocument ToDocument(Profile profile, int revision, DateTime created, DateTime updated) => new()
    {
        ["_id"] = profile.Name,
        ["rev"] = revision,
        ["created"] = created.Ticks,
        ["updated"] = updated.Ticks,
        ["json"] = ProfileJson.Serialize(profile),
    };

    private static Profile FromDocument(BsonDocument document)
    {
        var profile = ProfileJson.Parse(document["json"].AsString, $"stored profile {document["_id"].AsString}");
        profile.Revision = document["rev"].AsInt32;
        profile.Created = new DateTime(document["created"].AsInt64, DateTimeKind.Utc);
        profile.Updated = new DateTime(document["updated"].AsInt64, DateTimeKind.Utc);
        return profile;
    }
}
