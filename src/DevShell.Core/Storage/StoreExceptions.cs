namespace DevShell.Core.Storage;

/// <summary>Base of every store error a user can act on; the message names the thing, the problem and the fix.</summary>
public class StoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public StoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Standard constructor.</summary>
    public StoreException()
    {
    }
}

/// <summary>The named profile is not in the store.</summary>
public sealed class ProfileNotFoundException : StoreException
{
    /// <summary>Creates the exception for <paramref name="name"/>.</summary>
    public ProfileNotFoundException(string name)
        : base($"{Validation.Display.ProfileLabel(name)} does not exist (see `devshell profile list`)")
    {
        Name = name;
    }

    /// <summary>Standard constructor.</summary>
    public ProfileNotFoundException()
    {
        Name = "";
    }

    /// <summary>Standard constructor.</summary>
    public ProfileNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
        Name = "";
    }

    /// <summary>The missing profile.</summary>
    public string Name { get; }
}

/// <summary>A profile with that name already exists.</summary>
public sealed class ProfileAlreadyExistsException : StoreException
{
    /// <summary>Creates the exception for <paramref name="name"/>.</summary>
    public ProfileAlreadyExistsException(string name)
        : base($"{Validation.Display.ProfileLabel(name)} already exists (choose another name, or edit the existing profile)")
    {
        Name = name;
    }

    /// <summary>Standard constructor.</summary>
    public ProfileAlreadyExistsException()
    {
        Name = "";
    }

    /// <summary>Standard constructor.</summary>
    public ProfileAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Name = "";
    }

    /// <summary>The existing profile.</summary>
    public string Name { get; }
}

/// <summary>Optimistic concurrency: the profile changed since the caller read it.</summary>
public sealed class ConcurrencyConflictException : StoreException
{
    /// <summary>Creates the exception.</summary>
    public ConcurrencyConflictException(string name, int storedRevision, int expectedRevision)
        : base($"{Validation.Display.ProfileLabel(name)} was changed by someone else (revision {storedRevision}, you edited {expectedRevision}); re-run the edit")
    {
        Name = name;
        StoredRevision = storedRevision;
        ExpectedRevision = expectedRevision;
    }

    /// <summary>Standard constructor.</summary>
    public ConcurrencyConflictException()
    {
        Name = "";
    }

    /// <summary>Standard constructor.</summary>
    public ConcurrencyConflictException(string message)
        : base(message)
    {
        Name = "";
    }

    /// <summary>Standard constructor.</summary>
    public ConcurrencyConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
        Name = "";
    }

    /// <summary>The profile.</summary>
    public string Name { get; }

    /// <summary>The revision now in the store.</summary>
    public int StoredRevision { get; }

    /// <summary>The revision the caller read and edited.</summary>
    public int ExpectedRevision { get; }
}

/// <summary>The database file cannot be read; <see cref="DevShellStore.Recover"/> restores the last good copy.</summary>
public sealed class StoreCorruptedException : StoreException
{
    /// <summary>Creates the exception for the file at <paramref name="dbPath"/>.</summary>
    public StoreCorruptedException(string dbPath, Exception innerException)
        : base(Compose(dbPath, innerException), innerException)
    {
        DbPath = dbPath;
    }

    /// <summary>Standard constructor.</summary>
    public StoreCorruptedException()
    {
        DbPath = "";
    }

    /// <summary>Standard constructor.</summary>
    public StoreCorruptedException(string message)
        : base(message)
    {
        DbPath = "";
    }

    /// <summary>The damaged file.</summary>
    public string DbPath { get; }

    private static string Compose(string dbPath, Exception inner)
    {
        var backup = DevShellStore.BackupPathFor(dbPath);
        var fix = File.Exists(backup)
            ? $"run `devshell db recover` to restore the last good copy ({backup}); the damaged file is kept as {Path.GetFileName(dbPath)}.corrupt-<time>"
            : $"no backup exists ({backup}); move the damaged file away to start with an empty database";
        return $"the DevShell database {dbPath} is damaged and cannot be opened ({inner.Message}); {fix}";
    }
}

/// <summary>No IP address could be leased.</summary>
public sealed class IpAllocationException : StoreException
{
    /// <summary>Creates the exception.</summary>
    public IpAllocationException(string message)
        : base(message)
    {
    }

    /// <summary>Standard constructor.</summary>
    public IpAllocationException()
    {
    }

    /// <summary>Standard constructor.</summary>
    public IpAllocationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
